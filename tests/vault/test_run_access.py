"""Tests for what the vault records of a run's access (schema 4) and of its requests."""

from __future__ import annotations

from lookervault.history import list_runs
from lookervault.vault.store import Vault


def test_access_is_recorded_and_a_limited_run_stays_limited(vault: Vault, run_id: int) -> None:
    """A run recorded limited stays limited when a resumed session has admin rights."""
    vault.record_access(run_id, "limited")
    vault.record_access(run_id, "admin")
    assert vault.runs()[-1].access == "limited"


def test_admin_run_recorded_admin(vault: Vault, run_id: int) -> None:
    """An admin run reads back as admin; `runs` shows it."""
    vault.record_access(run_id, "admin")
    assert [s.access for s in list_runs(vault)] == ["admin"]


def test_requests_of_a_resumed_run_are_summed(vault: Vault, run_id: int) -> None:
    """Each session's requests, in all and per type, add up in the run's stats and `runs`."""
    first = {"requests": 10, "requests:looks": 7, "requests:session": 3, "elapsed_s": 1.0}
    vault.finish_run(run_id, status="partial", counts={}, stats=first)
    vault.reopen_run(run_id)
    second = {"requests": 5, "requests:looks": 1, "requests:users": 4, "elapsed_s": 1.0}
    vault.finish_run(run_id, status="complete", counts={}, stats=second)
    (summary,) = list_runs(vault)
    assert summary.requests == 15
    assert summary.requests_by_type == {"looks": 8, "session": 3, "users": 4}
