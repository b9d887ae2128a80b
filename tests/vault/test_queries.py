"""Tests for the vault's typed read queries (Vault.queries), each on a fresh vault."""

from __future__ import annotations

import hashlib
import sqlite3

import orjson

from lookervault.vault.queries import (
    FULL_HISTORY,
    DiffRow,
    ForeignKeyViolation,
    ItemRow,
    ItemVersion,
    RunRecord,
    StoredBlob,
)
from lookervault.vault.records import Batch, ItemRecord
from lookervault.vault.store import Vault


def _item(item_id: str, content_type: str = "dashboards", **content: object) -> ItemRecord:
    folder = content.get("folder_id")
    return ItemRecord(
        content_type,
        item_id,
        {"id": item_id, **content},
        title=str(content.get("title", f"t{item_id}")),
        folder_id=str(folder) if folder is not None else None,
        deleted=bool(content.get("deleted")),
    )


def _start(vault: Vault) -> int:
    return vault.start_run(
        options={"workers": 2},
        looker_url="https://looker.example.com",
        looker_release="25.0",
        api_version="4.0",
        tool_version="0.1.0",
    )


def _run(vault: Vault, *items: ItemRecord, gone=(), finish: bool = True) -> int:
    run_id = _start(vault)
    with vault.writer() as writer:
        writer.write(Batch(run_id, items=items, gone=tuple(gone)))
    if finish:
        counts: dict[str, int] = {}
        for item in items:
            counts[item.content_type] = counts.get(item.content_type, 0) + 1
        vault.finish_run(run_id, status="complete", counts=counts, stats={"requests": 1})
    return run_id


def _content(obj: object) -> bytes:
    return orjson.dumps(obj)


def _tamper(vault: Vault, sql: str) -> None:
    conn = sqlite3.connect(vault.path)
    try:
        conn.execute("PRAGMA foreign_keys = OFF")
        with conn:
            conn.execute(sql)
    finally:
        conn.close()


# --- runs -------------------------------------------------------------------------------------


def test_runs_are_records(vault: Vault) -> None:
    """runs() and run() give every column of a run, JSON decoded; run() of no run is None."""
    assert vault.queries.runs() == [] and vault.queries.run_ids() == []
    first = _run(vault, _item("1"))
    second = _run(vault, finish=False)
    [done, running] = vault.queries.runs()
    assert isinstance(done, RunRecord) and vault.runs() == [done, running]
    assert (done.run_id, done.status, done.history, done.resumes) == (first, "complete", "full", 0)
    assert done.options == {"workers": 2} and done.counts == {"dashboards": 1}
    assert done.stats == {"requests": 1} and done.finished_at is not None
    assert (done.looker_url, done.looker_release, done.api_version, done.tool_version) == (
        "https://looker.example.com",
        "25.0",
        "4.0",
        "0.1.0",
    )
    assert (running.status, running.finished_at, running.counts) == ("running", None, {})
    assert vault.queries.run(second) == running and vault.queries.run(99) is None
    assert vault.queries.run_ids() == [first, second]
    assert done.history == FULL_HISTORY


def test_snapshot_counts_and_stored_bytes(vault: Vault) -> None:
    """A run's snapshot counts what it saw (not what it saw gone); bytes go to the first run."""
    first = _run(vault, _item("1"), _item("2"), _item("9", "looks"))
    second = _run(vault, _item("1"), gone=[("dashboards", "2")])
    assert vault.queries.snapshot_counts(first) == {"dashboards": 2, "looks": 1}
    assert vault.queries.snapshot_counts(second) == {"dashboards": 1}
    assert vault.queries.snapshot_counts(99) == {}
    sizes = [len(_content({"id": i})) for i in ("1", "2", "9")]
    assert vault.queries.stored_bytes() == {first: sum(sizes)}


# --- items ------------------------------------------------------------------------------------


def test_list_items_latest_and_run(vault: Vault) -> None:
    """Rows sort numeric ids first; deleted lists trash and gone; a run shows what it saw."""
    first = _run(
        vault,
        _item("10", title="Ten", folder_id=5),
        _item("9", title="Nine", folder_id=6),
        _item("a", title="Trash", deleted=True),
    )
    second = _run(vault, _item("10", title="Ten v2", folder_id=5), gone=[("dashboards", "9")])
    live = vault.queries.list_items("dashboards")
    assert live == [ItemRow("10", "Ten v2", "5", None, None, "live")]
    deleted = vault.queries.list_items("dashboards", deleted=True)
    assert [(r.item_id, r.state) for r in deleted] == [("9", "gone"), ("a", "trash")]
    at_first = vault.queries.list_items("dashboards", run_id=first)
    assert [(r.item_id, r.title) for r in at_first] == [("9", "Nine"), ("10", "Ten")]
    at_second = vault.queries.list_items("dashboards", run_id=second, deleted=True)
    assert [(r.item_id, r.title, r.state) for r in at_second] == [("9", "Nine", "gone")]
    in_folder = vault.queries.list_items("dashboards", run_id=first, folder_id="6")
    assert [r.item_id for r in in_folder] == ["9"]
    assert vault.queries.list_items("looks") == []


def test_find_item(vault: Vault) -> None:
    """The latest version carries its run and gone mark; a run's version, None when unseen."""
    first = _run(vault, _item("1", v=1))
    second = _run(vault, _item("1", v=2))
    third = _run(vault, gone=[("dashboards", "1")])
    latest = vault.queries.find_item("dashboards", "1", None)
    assert latest == ItemVersion("dashboards", "1", _content({"id": "1", "v": 2}), second, third)
    old = vault.queries.find_item("dashboards", "1", first)
    assert old == ItemVersion("dashboards", "1", _content({"id": "1", "v": 1}), first)
    assert vault.queries.find_item("dashboards", "1", third) is None
    assert vault.queries.find_item("dashboards", "2", None) is None
    assert vault.queries.find_item("looks", "1", first) is None


def test_diff_rows(vault: Vault) -> None:
    """Only items whose version differs come back, with where each run had them."""
    first = _run(vault, _item("1"), _item("2"), _item("3"))
    second = _run(vault, _item("1"), _item("2", v=2), _item("4"), gone=[("dashboards", "3")])
    rows = sorted(vault.queries.diff_rows(first, second), key=lambda r: r.item_id)
    assert rows == [
        DiffRow("dashboards", "2", "t2", True, True, True, True),
        DiffRow("dashboards", "3", "t3", True, True, True, False),
        DiffRow("dashboards", "4", "t4", False, False, True, True),
    ]
    assert vault.queries.diff_rows(second, second) == []


# --- verification -----------------------------------------------------------------------------


def test_checks_of_a_sound_vault(vault: Vault) -> None:
    """A sound vault: integrity ok, no foreign key or reference problem, no orphan content."""
    _run(vault, _item("1"), _item("2"))
    assert vault.queries.integrity_check() == ["ok"]
    assert vault.queries.foreign_key_check() == []
    assert vault.queries.dangling_references() == []
    assert vault.queries.orphan_blob_count() == 0


def test_blobs_after_pages_by_id(vault: Vault) -> None:
    """Blobs come in id order after the given id, at most ``limit`` of them."""
    run_id = _run(vault, _item("1"), _item("2"), _item("3"))
    blobs = vault.queries.blobs_after(-1, 2)
    assert [b.blob_id for b in blobs] == [1, 2]
    data = _content({"id": "1"})
    assert blobs[0] == StoredBlob(1, hashlib.sha256(data).hexdigest(), len(data), data)
    assert [b.blob_id for b in vault.queries.blobs_after(2, 2)] == [3]
    assert vault.queries.blobs_after(3, 2) == [] and run_id == 1


def test_broken_references_reported(vault: Vault) -> None:
    """Rows pointing nowhere show up in the reference, foreign key and orphan queries."""
    _run(vault, _item("1"), _item("2"))
    _tamper(vault, 'DELETE FROM "versions" WHERE "version_id" = 1')
    assert vault.queries.orphan_blob_count() == 1
    labels = {label for label, _ in vault.queries.dangling_references()}
    assert labels == {"run rows pointing nowhere", "latest state differs from its run"}
    assert ("run rows pointing nowhere", "run 1 item 1") in vault.queries.dangling_references()
    _tamper(vault, 'INSERT INTO "checkpoints" VALUES (42, "dashboards", "k", "now")')
    assert vault.queries.foreign_key_check() == [ForeignKeyViolation("checkpoints", None, "runs")]


def test_last_finished_run_is_the_latest_finished_one_against_that_looker(vault: Vault) -> None:
    def run(url: str, *, finish: bool) -> int:
        run_id = vault.start_run(
            options={}, looker_url=url, looker_release=None, api_version=None, tool_version="0"
        )
        if finish:
            vault.finish_run(run_id, status="complete", counts={}, stats={"requests": run_id})
        return run_id

    url = "https://looker.example.com"
    assert vault.last_finished_run(url) is None
    first = run(url, finish=True)
    second = run(url, finish=True)
    run("https://other.example.com", finish=True)
    run(url, finish=False)  # still running: its stats are not final
    last = vault.last_finished_run(url)
    assert last is not None and last.run_id == second != first
    assert last.stats["requests"] == second
    # the URL is matched as the vault stores it: without credentials in it
    assert vault.last_finished_run("https://me:pw@looker.example.com") == last
