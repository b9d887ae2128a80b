"""select.py on a vault written directly: a folder subtree and what hangs off it, in restore order."""

from __future__ import annotations

from pathlib import Path

import pytest

from lookervault.errors import UsageError
from lookervault.restore.select import Wanted, select_items
from lookervault.vault.records import Batch, ItemRecord
from lookervault.vault.store import Vault

_ITEMS = [
    ("folders", "10", {"id": "10", "parent_id": "1", "name": "Top", "content_metadata_id": "c10"}),
    ("folders", "12", {"id": "12", "parent_id": "11", "name": "Deep"}),
    ("folders", "11", {"id": "11", "parent_id": "10", "name": "Mid"}),
    ("folders", "20", {"id": "20", "parent_id": "1", "name": "Elsewhere"}),
    ("dashboards", "3", {"id": "3", "folder_id": "12", "deleted": False,
                         "dashboard_elements": [{"id": "30"}]}),
    ("dashboards", "4", {"id": "4", "folder_id": "11", "deleted": True, "dashboard_elements": []}),
    ("dashboards", "5", {"id": "5", "folder_id": "20", "deleted": False, "dashboard_elements": []}),
    ("looks", "9", {"id": "9", "folder_id": "10", "deleted": False}),
    ("scheduled_plans", "1", {"id": "1", "dashboard_id": "3"}),
    ("scheduled_plans", "2", {"id": "2", "dashboard_id": "5"}),
    ("alerts", "1", {"id": "1", "dashboard_element_id": "30"}),
    ("boards", "7", {"id": "7", "title": "B", "content_metadata_id": "c7", "board_sections": [
        {"board_items": [{"look_id": "9", "dashboard_id": None}]}]}),
    ("boards", "8", {"id": "8", "title": "Other", "board_sections": []}),
    ("roles", "5", {"id": "5", "name": "Analyst", "permission_set_id": "1", "model_set_id": "1"}),
    ("role_groups", "5", [{"id": "2", "name": "Sales"}]),
    ("content_metadata_access", "c10", [{"permission_type": "view", "group_id": "1", "user_id": None}]),
    ("content_metadata_access", "c7", [{"permission_type": "edit", "group_id": None, "user_id": "2"}]),
]  # fmt: skip


@pytest.fixture
def vault(tmp_path: Path):
    """A vault with one complete run holding _ITEMS."""
    with Vault(tmp_path / "v.db") as vault:
        run_id = vault.start_run(
            options={}, looker_url="u", looker_release=None, api_version=None, tool_version="0"
        )
        items = tuple(ItemRecord(kind, key, content) for kind, key, content in _ITEMS)
        with vault.writer() as writer:
            writer.write(Batch(run_id, items=items))
        vault.finish_run(run_id, status="complete", counts={}, stats={})
        yield vault


def test_folder_subtree_and_what_hangs_off_it(vault: Vault) -> None:
    """Subfolders top-down, live content in them, its schedules, alerts, boards and access."""
    chosen = select_items(vault, Wanted(folder="10")).items
    assert list(chosen["folders"]) == ["10", "11", "12"]
    assert list(chosen["dashboards"]) == ["3"]  # 4 was in the trash, 5 is elsewhere
    assert list(chosen["looks"]) == ["9"]
    assert list(chosen["scheduled_plans"]) == ["1"]
    assert list(chosen["alerts"]) == ["1"]
    assert list(chosen["boards"]) == ["7"]
    assert list(chosen["content_metadata_access"]) == ["boards/7", "folders/10"]


def test_pairs_and_types_and_missing_ids(vault: Vault) -> None:
    """Ids by type, a whole type, and ids the vault lacks named with the run."""
    selection = select_items(
        vault, Wanted(pairs=(("dashboards", "5"), ("looks", "77")), types=("boards",))
    )
    assert list(selection.items["dashboards"]) == ["5"]
    assert list(selection.items["boards"]) == ["7", "8"]
    assert selection.missing == [("looks", "77", "not in the vault")]
    in_run = select_items(vault, Wanted(pairs=(("looks", "77"),), run_id=1))
    assert in_run.missing == [("looks", "77", "not in run 1")]


def test_unknown_folder_and_unrestorable_type(vault: Vault) -> None:
    """A folder the backup lacks is named; explores are not restored (a usage error)."""
    assert select_items(vault, Wanted(folder="99")).missing == [
        ("folders", "99", "not in the backup")
    ]
    with pytest.raises(UsageError, match="restore handles"):
        select_items(vault, Wanted(types=("explores",)))
    with pytest.raises(UsageError, match="no run 9"):
        select_items(vault, Wanted(types=("looks",), run_id=9))


def test_a_role_brings_its_membership_lists(vault: Vault) -> None:
    """Selecting a role selects its backed-up groups list, keyed by type and owner."""
    chosen = select_items(vault, Wanted(pairs=(("roles", "5"),))).items
    assert chosen["memberships"] == {
        "role_groups/5": {"type": "role_groups", "owner_id": "5", "rows": [{"id": "2", "name": "Sales"}],
                          "title": "role groups of Analyst"}
    }  # fmt: skip


def test_content_in_the_trash_when_backed_up_is_named_not_selected(vault: Vault) -> None:
    """A folder or type selection leaves trashed content deleted and names it; by id it comes."""
    from lookervault.restore.plan import not_restorable

    by_folder = select_items(vault, Wanted(folder="10"))
    assert "4" not in by_folder.items["dashboards"]
    assert by_folder.trashed == [("dashboards", "4", "")]
    assert any(note.endswith("(name them as dashboards ID to restore them): 4")
               for note in not_restorable(by_folder))  # fmt: skip
    by_type = select_items(vault, Wanted(types=("dashboards",)))
    assert list(by_type.items["dashboards"]) == ["3", "5"] and by_type.trashed[0][1] == "4"
    by_id = select_items(vault, Wanted(pairs=(("dashboards", "4"),), folder="10"))
    assert list(by_id.items["dashboards"]) == ["3", "4"] and by_id.trashed == []
