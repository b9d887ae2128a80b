"""Tests for the vault's history: runs, snapshots and items as they were."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from lookervault.errors import UsageError
from lookervault.history import list_items, list_runs, read_item, resolve_run
from lookervault.vault.store import Vault
from tests.support import history_item, history_run


@pytest.fixture
def vault(tmp_path: Path):
    """A fresh vault per test."""
    with Vault(tmp_path / "v.db") as opened:
        yield opened


# --- runs, list, show ----------------------------------------------------------------------


def test_list_runs_counts_and_stored_bytes(vault: Vault) -> None:
    """Runs list their counts, and an unchanged second run stores no new content."""
    first = history_run(vault, history_item("1"), history_item("2"))
    second = history_run(vault, history_item("1"), history_item("2"))
    summaries = list_runs(vault)
    assert [s.run_id for s in summaries] == [first, second]
    assert summaries[0].counts == {"dashboards": 2} and summaries[0].stored_bytes > 0
    assert summaries[1].stored_bytes == 0 and summaries[1].history == "full"
    assert summaries[1].duration_s is not None


def test_resolve_run(vault: Vault) -> None:
    """The latest run by default; unknown runs and empty vaults are usage errors."""
    with pytest.raises(UsageError, match="no runs"):
        resolve_run(vault, None)
    run_id = history_run(vault, history_item("1"))
    assert resolve_run(vault, None) == run_id == resolve_run(vault, run_id)
    with pytest.raises(UsageError, match="no run 99"):
        resolve_run(vault, 99)


def test_list_items_filters(vault: Vault) -> None:
    """list filters by folder and title, and --deleted shows trash and gone items instead."""
    items = (
        history_item("1", title="Sales Overview", folder_id=5),
        history_item("2", title="Costs", folder_id=6),
        history_item("10", title="sales trash", deleted=True),
        history_item("3", title="Doomed"),
    )
    first = history_run(vault, *items)
    history_run(vault, *items[:3], unseen=["dashboards"])
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
    first = history_run(vault, history_item("1", v=1))
    second = history_run(vault, history_item("1", v=2))
    assert orjson.loads(read_item(vault, "dashboards", "1", run_id=first).content)["v"] == 1
    latest = read_item(vault, "dashboards", "1")
    assert orjson.loads(latest.content)["v"] == 2 and latest.run_id == second
    with pytest.raises(UsageError, match="no dashboards 9"):
        read_item(vault, "dashboards", "9")
    third = history_run(vault, gone=[("dashboards", "1")])
    with pytest.raises(UsageError, match="not in run"):
        read_item(vault, "dashboards", "1", run_id=third)
    assert read_item(vault, "dashboards", "1").gone_run_id == third
