"""Runs a newer run leaves behind are "abandoned", and the queries the failures report reads."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from lookervault.vault.records import Batch, Failure
from lookervault.vault.store import RUN_STATUSES, Vault
from tests.vault.support import write_batch


def _start(vault: Vault, url: str = "https://looker.example.com", **extra: object) -> int:
    return vault.start_run(
        options={}, looker_url=url, looker_release=None, api_version=None, tool_version="0",
        **extra,
    )  # fmt: skip


def _status(vault: Vault, run_id: int) -> str:
    run = vault.queries.run(run_id)
    assert run is not None
    return run.status


def test_starting_a_run_marks_the_unfinished_one_abandoned(vault: Vault) -> None:
    """start_run(abandon=N) records N as abandoned in the same write; resume no longer picks it."""
    first = _start(vault)
    vault.finish_run(first, status="interrupted", counts={}, stats={})
    assert vault.resumable_run() == first
    second = _start(vault, abandon=first)
    assert _status(vault, first) == "abandoned"
    assert vault.resumable_run() == second
    vault.finish_run(second, status="abandoned", counts={}, stats={})
    assert "abandoned" in RUN_STATUSES
    assert vault.resumable_run() is None


def test_abandon_never_touches_a_complete_run(vault: Vault) -> None:
    """A complete run stays complete even when named as the run to abandon."""
    first = _start(vault)
    vault.finish_run(first, status="complete", counts={}, stats={})
    _start(vault, abandon=first)
    assert _status(vault, first) == "complete"


def test_a_vault_of_an_earlier_release_keeps_its_runs(tmp_path: Path) -> None:
    """Statuses are not enforced by the schema: old runs open unchanged, and can be abandoned."""
    path = tmp_path / "old.db"
    with Vault(path) as vault:
        old = _start(vault)
    with sqlite3.connect(path) as conn:
        assert conn.execute('SELECT "status" FROM "runs"').fetchall() == [("running",)]
    with Vault(path) as vault:
        assert vault.resumable_run() == old
        _start(vault, abandon=old)
        assert [run.status for run in vault.runs()] == ["abandoned", "running"]


def test_looker_urls_and_failure_counts(vault: Vault) -> None:
    """Distinct base URLs in first-seen order; outstanding failures counted per run."""
    first = _start(vault, "https://a.example.com")
    second = _start(vault, "https://user:pw@b.example.com/?x=1")
    _start(vault, "https://a.example.com")
    assert vault.looker_urls() == ["https://a.example.com", "https://b.example.com/"]
    failures = (Failure("alerts", "all:offset=0", "e"), Failure("users", "reconcile", "e"))
    write_batch(vault, Batch(second, failures=failures))
    assert vault.queries.failure_counts() == {second: 2}
    assert first not in vault.queries.failure_counts()
