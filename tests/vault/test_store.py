"""Tests for the Vault: gone items, runs, iter_items and run snapshots."""

from __future__ import annotations

import pytest

from lookervault.errors import VaultError
from lookervault.vault.records import Batch
from lookervault.vault.store import Vault
from tests.vault.support import make_item, raw_rows, write_batch

# --- gone ----------------------------------------------------------------------------------------


def test_record_gone_and_rewrite(vault: Vault, run_id: int) -> None:
    """Gone items leave counts, ids and exports; re-writing an item clears its gone mark."""
    write_batch(vault, Batch(run_id, items=(make_item("1"), make_item("2"), make_item("3"))))
    write_batch(vault, Batch(run_id, gone=(("dashboards", "3"),)))
    assert vault.record_gone(run_id, "dashboards", ["2", "2", "404"]) == 1
    assert vault.item_ids("dashboards") == {"1"}
    assert vault.counts() == {"dashboards": 1}
    write_batch(vault, Batch(run_id, items=(make_item("2"),)))
    assert vault.item_ids("dashboards") == {"1", "2"}
    assert raw_rows(vault, 'SELECT "gone_run_id" FROM "items" WHERE "item_id" = ?', ("2",)) == [
        (None,)
    ]


def test_mark_unseen_gone(vault: Vault, run_id: int) -> None:
    """Items the new run did not write are marked gone, per content type only."""
    write_batch(
        vault, Batch(run_id, items=(make_item("1"), make_item("2"), make_item("9", "looks")))
    )
    vault.finish_run(run_id, status="complete", counts={}, stats={})
    second = vault.start_run(
        options={}, looker_url="u", looker_release=None, api_version=None, tool_version="0"
    )
    write_batch(vault, Batch(second, items=(make_item("2"),)))
    assert vault.item_ids("dashboards", run_id=second) == {"2"}
    assert vault.item_ids("dashboards", run_id=run_id) == {"1"}
    assert vault.mark_unseen_gone(second, "dashboards") == 1
    assert vault.mark_unseen_gone(second, "dashboards") == 0
    assert vault.item_ids("dashboards") == {"2"}
    assert vault.item_ids("looks") == {"9"}


# --- runs -------------------------------------------------------------------------------------


def test_resumable_and_reopen(vault: Vault, run_id: int) -> None:
    """An unfinished latest run is resumable; reopening counts the resume; complete is not."""
    assert vault.resumable_run() == run_id
    vault.finish_run(run_id, status="interrupted", counts={"dashboards": 1}, stats={})
    assert vault.resumable_run() == run_id
    vault.reopen_run(run_id)
    [run] = vault.runs()
    assert (run.status, run.resumes, run.finished_at) == ("running", 1, None)
    vault.finish_run(run_id, status="complete", counts={}, stats={})
    assert vault.resumable_run() is None


def test_no_runs_not_resumable(vault: Vault) -> None:
    """An empty vault has nothing to resume, and unknown runs cannot be reopened."""
    assert vault.resumable_run() is None
    with pytest.raises(VaultError, match="no such run"):
        vault.reopen_run(5)


def test_runs_decoded(vault: Vault, run_id: int) -> None:
    """runs() decodes options, counts and stats and never keeps secrets."""
    other = vault.start_run(
        options={"client_secret": "s3cr3t", "types": ("looks",), "nested": {"access_token": "t"}},
        looker_url="https://user:pw@looker.example.com/path?token=abc",
        looker_release=None,
        api_version=None,
        tool_version="0.1.0",
    )
    stats = {
        "requests": 10,
        "retries": 1,
        "rate_limited": 0,
        "errors": 0,
        "bytes": 5,
        "elapsed_s": 1.5,
        "huge": 2**70,
    }
    vault.finish_run(other, status="partial", counts={"looks": 3}, stats=stats)
    first, second = vault.runs()
    assert first.run_id == run_id and first.options == {"content_types": ["dashboards"]}
    assert first.counts == {} and first.status == "running"
    assert second.options == {
        "client_secret": "<redacted>",
        "types": ["looks"],
        "nested": {"access_token": "<redacted>"},
    }
    assert second.looker_url == "https://looker.example.com/path"
    # The vault adds the running time summed over sessions (here the one session's).
    expected_stats = {**stats, "running_s": 1.5}
    assert (second.status, second.counts, second.stats) == ("partial", {"looks": 3}, expected_stats)
    assert "s3cr3t" not in vault.path.read_bytes().decode("latin-1")


def test_unknown_status_rejected(vault: Vault, run_id: int) -> None:
    """finish_run refuses a status outside the documented set."""
    with pytest.raises(VaultError, match="unknown run status"):
        vault.finish_run(run_id, status="done", counts={}, stats={})


# --- queries ----------------------------------------------------------------------------------


def test_iter_items_order_and_filter(vault: Vault, run_id: int) -> None:
    """iter_items streams by type then id, skips gone items and filters by type."""
    items = (
        make_item("b"),
        make_item("a", "looks"),
        make_item("a"),
        make_item("c"),
        make_item("z", "boards"),
    )
    write_batch(vault, Batch(run_id, items=items, gone=(("dashboards", "c"),)))
    keys = [(content_type, item_id) for content_type, item_id, _ in vault.iter_items()]
    assert keys == [("boards", "z"), ("dashboards", "a"), ("dashboards", "b"), ("looks", "a")]
    only = [(t, i) for t, i, _ in vault.iter_items(["looks", "dashboards", "looks"])]
    assert only == [("dashboards", "a"), ("dashboards", "b"), ("looks", "a")]
    assert list(vault.iter_items([])) == []
    assert vault.counts() == {"boards": 1, "dashboards": 2, "looks": 1}


# --- history -------------------------------------------------------------------------------------


def test_gone_is_in_the_run_snapshot(vault: Vault, run_id: int) -> None:
    """Items a run marks gone leave that run's snapshot but stay in the earlier one."""
    write_batch(vault, Batch(run_id, items=(make_item("1"), make_item("2"))))
    second = vault.start_run(
        options={}, looker_url="u", looker_release=None, api_version=None, tool_version="0"
    )
    write_batch(vault, Batch(second, items=(make_item("1"),)))
    assert vault.mark_unseen_gone(second, "dashboards") == 1
    assert [i for _, i, _ in vault.iter_items(run_id=run_id)] == ["1", "2"]
    assert [i for _, i, _ in vault.iter_items(run_id=second)] == ["1"]
    rows = raw_rows(
        vault, 'SELECT "version_id" IS NULL FROM "run_items" WHERE "run_id" = ?', (second,)
    )
    assert sorted(rows) == [(0,), (1,)]


def test_running_time_sums_the_sessions_of_a_resumed_run(tmp_path) -> None:
    """A resumed run's running_s adds each session's elapsed time, never the idle gap."""
    with Vault(tmp_path / "v.db") as vault:
        run_id = vault.start_run(
            options={}, looker_url="u", looker_release=None, api_version=None, tool_version="0"
        )
        vault.finish_run(run_id, status="interrupted", counts={}, stats={"elapsed_s": 2.5})
        vault.reopen_run(run_id)
        vault.finish_run(run_id, status="complete", counts={}, stats={"elapsed_s": 4.0})
        (run,) = vault.runs()
    assert run.stats["elapsed_s"] == 4.0
    assert run.stats["running_s"] == 6.5
