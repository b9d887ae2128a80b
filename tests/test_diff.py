"""Tests for diffs between runs: items added, removed, changed or unseen, and field by field."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from lookervault.backup.run import ExtractOptions, extract
from lookervault.diff import FieldChange, diff_item, diff_runs, field_changes
from lookervault.errors import UsageError
from lookervault.mock.app import MockLooker, MockOptions
from lookervault.settings import ConnectionSettings
from lookervault.vault.store import Vault
from lookervault.verify import verify_vault
from tests.support import history_item, history_run


@pytest.fixture
def vault(tmp_path: Path):
    """A fresh vault per test."""
    with Vault(tmp_path / "v.db") as opened:
        yield opened


def _ids(refs) -> list[str]:
    return [ref.item_id for ref in refs]


# --- diffs ---------------------------------------------------------------------------------


def test_diff_added_removed_changed(vault: Vault) -> None:
    """A diff lists added, removed (seen gone) and changed items per type with titles."""
    first = history_run(
        vault, history_item("1"), history_item("2"), history_item("3"), history_item("9", "looks")
    )
    second = history_run(
        vault,
        history_item("1"),
        history_item("2", v=2),
        history_item("4"),
        history_item("9", "looks"),
        unseen=["dashboards"],
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
    assert diff.as_json()["types"]["dashboards"]["added"] == [{"id": "4", "title": "t4"}]
    assert diff_runs(vault, second, second).types == {}


def test_diff_partial_run_lists_unseen(vault: Vault) -> None:
    """Items a partial run did not fetch are unseen, not removed; the notes say why."""
    first = history_run(vault, history_item("1"), history_item("2"))
    second = history_run(vault, history_item("1"), status="partial")
    diff = diff_runs(vault, first, second)
    assert _ids(diff.types["dashboards"].unseen) == ["2"]
    assert diff.types["dashboards"].removed == []
    assert any("partial" in note for note in diff.notes)


def test_diff_ignores_types_outside_a_run(vault: Vault) -> None:
    """A type only one run extracted is not reported as added or removed."""
    first = history_run(vault, history_item("1"), history_item("5", "looks"))
    second = history_run(vault, history_item("1"))
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
    first = history_run(vault, history_item("1", title="Old", tiles=[1]))
    second = history_run(vault, history_item("1", title="New", tiles=[1]), history_item("2"))
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
            # The mock's churn (a change every 9 requests) can delete 3 of the 10 folders and
            # boards a type's children hang on; which ones depends on the order requests go in.
            # The shrink guard would then hold the run (partial): not what this test is about.
            ExtractOptions(workers=2, page_size=5, accept_shrink=True),
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
