"""Tests for the vault's history: runs, snapshots, items as they were, diffs and verify."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import httpx
import orjson
import pytest

from lookervault.backup.run import ExtractOptions, extract
from lookervault.diff import FieldChange, diff_item, diff_runs, field_changes
from lookervault.errors import UsageError
from lookervault.history import list_items, list_runs, read_item, resolve_run
from lookervault.mock.app import MockLooker, MockOptions
from lookervault.settings import ConnectionSettings
from lookervault.vault.records import Batch, ItemRecord
from lookervault.vault.store import Vault
from lookervault.verify import verify_vault


def _item(item_id: str, content_type: str = "dashboards", **content: object) -> ItemRecord:
    title = str(content.get("title", f"t{item_id}"))
    folder = content.get("folder_id")
    return ItemRecord(
        content_type,
        item_id,
        {"id": item_id, **content},
        title=title,
        folder_id=str(folder) if folder is not None else None,
        deleted=bool(content.get("deleted")),
    )


def _run(vault: Vault, *items: ItemRecord, status: str = "complete", gone=(), unseen=()) -> int:
    """One run writing ``items``, marking ``gone``, then unseen types gone, then finished."""
    run_id = vault.start_run(
        options={}, looker_url="u", looker_release=None, api_version=None, tool_version="0"
    )
    with vault.writer() as writer:
        writer.write(Batch(run_id, items=items, gone=tuple(gone)))
    for content_type in unseen:
        vault.mark_unseen_gone(run_id, content_type)
    counts: dict[str, int] = {}
    for item in items:
        counts[item.content_type] = counts.get(item.content_type, 0) + 1
    for content_type, _ in gone:
        counts[content_type] = counts.get(content_type, 0)
    vault.finish_run(run_id, status=status, counts=counts, stats={})
    return run_id


@pytest.fixture
def vault(tmp_path: Path):
    """A fresh vault per test."""
    with Vault(tmp_path / "v.db") as opened:
        yield opened


def _ids(refs) -> list[str]:
    return [ref.item_id for ref in refs]


# --- runs, list, show ----------------------------------------------------------------------


def test_list_runs_counts_and_stored_bytes(vault: Vault) -> None:
    """Runs list their counts, and an unchanged second run stores no new content."""
    first = _run(vault, _item("1"), _item("2"))
    second = _run(vault, _item("1"), _item("2"))
    summaries = list_runs(vault)
    assert [s.run_id for s in summaries] == [first, second]
    assert summaries[0].counts == {"dashboards": 2} and summaries[0].stored_bytes > 0
    assert summaries[1].stored_bytes == 0 and summaries[1].history == "full"
    assert summaries[1].duration_s is not None


def test_resolve_run(vault: Vault) -> None:
    """The latest run by default; unknown runs and empty vaults are usage errors."""
    with pytest.raises(UsageError, match="no runs"):
        resolve_run(vault, None)
    run_id = _run(vault, _item("1"))
    assert resolve_run(vault, None) == run_id == resolve_run(vault, run_id)
    with pytest.raises(UsageError, match="no run 99"):
        resolve_run(vault, 99)


def test_list_items_filters(vault: Vault) -> None:
    """list filters by folder and title, and --deleted shows trash and gone items instead."""
    items = (
        _item("1", title="Sales Overview", folder_id=5),
        _item("2", title="Costs", folder_id=6),
        _item("10", title="sales trash", deleted=True),
        _item("3", title="Doomed"),
    )
    first = _run(vault, *items)
    _run(vault, *items[:3], unseen=["dashboards"])
    assert [r.item_id for r in list_items(vault, "dashboards")] == ["1", "2"]
    assert [r.item_id for r in list_items(vault, "dashboards", folder_id="5")] == ["1"]
    assert [r.item_id for r in list_items(vault, "dashboards", search="SALES")] == ["1"]
    deleted = list_items(vault, "dashboards", deleted=True)
    assert [(r.item_id, r.state) for r in deleted] == [("3", "gone"), ("10", "trash")]
    at_first = list_items(vault, "dashboards", run_id=first)
    assert [r.item_id for r in at_first] == ["1", "2", "3"]
    assert at_first[0].title == "Sales Overview" and at_first[0].folder_id == "5"


def test_read_item_latest_and_past(vault: Vault) -> None:
    """show returns the item as each run fetched it, and its latest state by default."""
    first = _run(vault, _item("1", v=1))
    second = _run(vault, _item("1", v=2))
    assert orjson.loads(read_item(vault, "dashboards", "1", run_id=first).content)["v"] == 1
    latest = read_item(vault, "dashboards", "1")
    assert orjson.loads(latest.content)["v"] == 2 and latest.run_id == second
    with pytest.raises(UsageError, match="no dashboards 9"):
        read_item(vault, "dashboards", "9")
    third = _run(vault, gone=[("dashboards", "1")])
    with pytest.raises(UsageError, match="not in run"):
        read_item(vault, "dashboards", "1", run_id=third)
    assert read_item(vault, "dashboards", "1").gone_run_id == third


# --- diffs ---------------------------------------------------------------------------------


def test_diff_added_removed_changed(vault: Vault) -> None:
    """A diff lists added, removed (seen gone) and changed items per type with titles."""
    first = _run(vault, _item("1"), _item("2"), _item("3"), _item("9", "looks"))
    second = _run(
        vault, _item("1"), _item("2", v=2), _item("4"), _item("9", "looks"), unseen=["dashboards"]
    )
    diff = diff_runs(vault, first, second)
    assert list(diff.types) == ["dashboards"]
    changes = diff.types["dashboards"]
    assert (_ids(changes.added), _ids(changes.removed), _ids(changes.changed)) == (
        ["4"],
        ["3"],
        ["2"],
    )
    assert changes.removed[0].title == "t3" and diff.notes == []
    assert diff.as_json()["types"]["dashboards"]["added"] == [{"item_id": "4", "title": "t4"}]
    assert diff_runs(vault, second, second).types == {}


def test_diff_partial_run_lists_unseen(vault: Vault) -> None:
    """Items a partial run did not fetch are unseen, not removed; the notes say why."""
    first = _run(vault, _item("1"), _item("2"))
    second = _run(vault, _item("1"), status="partial")
    diff = diff_runs(vault, first, second)
    assert _ids(diff.types["dashboards"].unseen) == ["2"]
    assert diff.types["dashboards"].removed == []
    assert any("partial" in note for note in diff.notes)


def test_diff_ignores_types_outside_a_run(vault: Vault) -> None:
    """A type only one run extracted is not reported as added or removed."""
    first = _run(vault, _item("1"), _item("5", "looks"))
    second = _run(vault, _item("1"))
    diff = diff_runs(vault, first, second)
    assert diff.types == {}
    assert any("looks" in note for note in diff.notes)


def test_field_changes() -> None:
    """Field-level changes are named by JSON Pointer; 1, 1.0 and true differ."""
    old = {"a": 1, "b": {"c/d": [1, 2, 3]}, "gone": None, "n": 1}
    new = {"a": 2, "b": {"c/d": [1, 5]}, "new": "x", "n": 1.0}
    assert field_changes(old, new) == [
        FieldChange("/a", "changed", 1, 2),
        FieldChange("/b/c~1d/1", "changed", 2, 5),
        FieldChange("/b/c~1d/2", "removed", old=3),
        FieldChange("/gone", "removed", old=None),
        FieldChange("/n", "changed", 1, 1.0),
        FieldChange("/new", "added", new="x"),
    ]
    assert field_changes({"x": [1]}, {"x": [1]}) == []


def test_diff_item(vault: Vault) -> None:
    """diff --item gives the field-level diff of one item between two runs."""
    first = _run(vault, _item("1", title="Old", tiles=[1]))
    second = _run(vault, _item("1", title="New", tiles=[1]), _item("2"))
    diff = diff_item(vault, "dashboards", "1", first, second)
    assert diff.changes == [FieldChange("/title", "changed", "Old", "New")]
    added = diff_item(vault, "dashboards", "2", first, second)
    assert [c.change for c in added.changes] == ["added"] and added.as_json()["in_a"] is False
    with pytest.raises(UsageError, match="neither"):
        diff_item(vault, "dashboards", "77", first, second)


async def _extract(mock: MockLooker, db: Path) -> str:
    settings = ConnectionSettings(
        base_url="http://mock",
        client_id=mock.options.client_id,
        client_secret=mock.options.client_secret,
    )
    with Vault(db) as vault:
        result = await extract(
            settings,
            vault,
            ExtractOptions(workers=2, page_size=5),
            transport=httpx.ASGITransport(app=mock),
        )
    return result.status


def _snapshot(db: Path, run_id: int | None = None) -> dict[tuple[str, str], bytes]:
    with Vault(db) as vault:
        return {(t, i): c for t, i, c in vault.iter_items(run_id=run_id)}


@pytest.mark.anyio
async def test_diff_across_mutating_runs(tmp_path: Path) -> None:
    """With the mock mutating content during runs, diff and past snapshots match what each run fetched."""
    mock = MockLooker(MockOptions(preset="tiny", mutate_every=9))
    db = tmp_path / "v.db"
    assert await _extract(mock, db) == "complete"
    fetched_first = _snapshot(db)
    assert await _extract(mock, db) == "complete"
    assert mock.mutation_log
    fetched_second = _snapshot(db)
    assert _snapshot(db, 1) == fetched_first and _snapshot(db, 2) == fetched_second
    with Vault(db) as vault:
        diff = diff_runs(vault, 1, 2)
        assert verify_vault(vault).ok
    got = {
        (name, kind, ref.item_id)
        for name, changes in diff.types.items()
        for kind in ("added", "removed", "changed", "unseen")
        for ref in getattr(changes, kind)
    }
    expected = {(t, "added", i) for t, i in fetched_second.keys() - fetched_first.keys()}
    expected |= {(t, "removed", i) for t, i in fetched_first.keys() - fetched_second.keys()}
    expected |= {
        (t, "changed", i)
        for t, i in fetched_first.keys() & fetched_second.keys()
        if fetched_first[t, i] != fetched_second[t, i]
    }
    assert got == expected and got


# --- verify --------------------------------------------------------------------------------


def _tamper(vault: Vault, sql: str) -> None:
    conn = sqlite3.connect(vault.path)
    with conn:
        conn.execute(sql)
    conn.close()


def test_verify_ok(vault: Vault) -> None:
    """A healthy vault passes every check."""
    _run(vault, _item("1"), _item("2"))
    _run(vault, _item("1", v=2), unseen=["dashboards"])
    report = verify_vault(vault)
    assert report.ok and report.blobs_checked == 3
    assert set(report.checks) == {"integrity", "content hashes", "run counts", "references"}


def test_verify_catches_corrupted_blob(vault: Vault) -> None:
    """A stored content altered on purpose no longer matches its hash."""
    _run(vault, _item("1"), _item("2"))
    _tamper(
        vault,
        """UPDATE "blobs" SET "content" = CAST('{"id":"evil"}' AS BLOB) WHERE "blob_id" = 1""",
    )
    report = verify_vault(vault)
    assert not report.ok
    assert report.checks["content hashes"] == [
        f"blob 1: content does not match its hash {_hash_of(vault, 1)}"
    ]


def _hash_of(vault: Vault, blob_id: int) -> str:
    with vault.reading("test") as conn:
        return conn.execute(
            'SELECT "hash" FROM "blobs" WHERE "blob_id" = ?', (blob_id,)
        ).fetchone()[0]


def test_verify_catches_wrong_counts_and_dangling_rows(vault: Vault) -> None:
    """Counts that disagree with a run's rows, and rows pointing nowhere, are reported."""
    _run(vault, _item("1"), _item("2"))
    _tamper(vault, """UPDATE "runs" SET "counts" = '{"dashboards": 3}'""")
    _tamper(vault, 'DELETE FROM "versions" WHERE "version_id" = 1')
    report = verify_vault(vault)
    assert report.checks["run counts"] == ["run 1 dashboards: recorded 3 items, snapshot has 2"]
    problems = report.checks["references"]
    assert any(p.startswith("run rows pointing nowhere: run 1") for p in problems)
    assert any(p.startswith("latest state differs from its run") for p in problems)
