"""Back up, hard-delete a folder subtree, restore it, back up again: every object comes back."""

from __future__ import annotations

from pathlib import Path

import pytest

from lookervault.restore.compare import differences
from lookervault.restore.entries import Action
from lookervault.restore.plan import PlanOptions
from lookervault.restore.run import RestoreOptions
from lookervault.restore.select import Wanted, select_items
from lookervault.vault.restores import RestoreLedger
from lookervault.vault.store import Vault
from tests.restore.scene import (
    RESTORED,
    Recorder,
    backup,
    fullest_folder,
    hard_delete_folder,
    run_restore,
    writable_mock,
)

pytestmark = pytest.mark.anyio


def _apply(folder: str, **plan: object) -> RestoreOptions:
    return RestoreOptions(
        wanted=Wanted(folder=folder),
        plan=PlanOptions(enable_schedules=True, **plan),  # type: ignore[arg-type]
        apply=True,
    )


async def test_folder_subtree_round_trip(tmp_path: Path) -> None:
    """Every deleted object is re-created equal to its backup; a second apply does nothing."""
    mock = writable_mock()
    db = tmp_path / "v.db"
    await backup(mock, db)
    before = mock.ground_truth()
    folder = fullest_folder(mock)
    gone = await hard_delete_folder(mock, folder)
    assert gone["dashboards"] and gone["looks"] and gone["boards"], gone
    assert gone["scheduled_plans"] and gone["alerts"], gone

    recorder = Recorder(mock)
    result = await run_restore(recorder, db, _apply(folder))
    assert result.ok, result.as_json()
    access = [e for e in result.plan.entries if e.kind == "content_metadata_access"]
    assert access and {e.action for e in access} == {Action.CREATE}
    assert result.plan.summary()[Action.CREATE] == sum(map(len, gone.values())) + len(access)

    with Vault(db) as vault:
        id_map = RestoreLedger(vault).id_map()
    after = mock.ground_truth()
    for kind, ids in gone.items():
        for source_id in ids:
            new_id = id_map[kind][source_id]
            assert new_id != source_id or kind == "folders", (kind, source_id)
            assert differences(before[kind][source_id], after[kind][new_id], id_map) == [], (
                kind,
                source_id,
            )

    grant = ("permission_type", "group_id", "user_id")
    for entry in access:  # each re-created folder and board has its backed-up grants again
        kind, source_id = entry.source_id.split("/")
        old, new = before[kind][source_id], after[kind][id_map[kind][source_id]]
        wanted = before["content_metadata_access"][old["content_metadata_id"]]
        now = after["content_metadata_access"][new["content_metadata_id"]]
        assert [[r[k] for k in grant] for r in now] == [[r[k] for k in grant] for r in wanted]
    assert {e.source_id.split("/")[0] for e in access} == {"folders", "boards"}

    again = await run_restore(mock, db, _apply(folder))
    assert {entry.action for entry in again.plan.entries} == {Action.SKIP}
    assert again.applied is not None and again.applied.done == 0
    assert mock.ground_truth() == after


async def test_second_backup_equals_first_after_mapping(tmp_path: Path) -> None:
    """A backup taken after the restore holds every deleted object of the first, ids mapped."""
    mock = writable_mock(seed=5)
    db = tmp_path / "v.db"
    await backup(mock, db)
    folder = fullest_folder(mock)
    gone = await hard_delete_folder(mock, folder)
    result = await run_restore(mock, db, _apply(folder))
    assert result.ok and result.applied is not None
    # Board items on content that was in the trash (so not restored) are named, not restored.
    partial = {
        note.split(":")[0].split()[1] for note in result.applied.notes if "board item" in note
    }
    with Vault(db) as vault:
        first = {kind: dict(_items(vault, kind, 1)) for kind in RESTORED}
    await backup(mock, db)
    with Vault(db) as vault:
        second = {kind: dict(_items(vault, kind, 2)) for kind in RESTORED}
        id_map = RestoreLedger(vault).id_map()
    with Vault(db) as vault:
        selected = select_items(vault, Wanted(folder=folder, run_id=1)).items
    for kind, ids in gone.items():
        # What was in the trash when backed up (and schedules and alerts on it) is not restored.
        for source_id in set(ids) & set(selected[kind]) - (partial if kind == "boards" else set()):
            target = id_map[kind][source_id]
            assert differences(first[kind][source_id], second[kind][target], id_map) == [], (
                kind,
                source_id,
            )


def _items(vault: Vault, kind: str, run_id: int):
    import orjson

    for _, item_id, content in vault.iter_items([kind], run_id=run_id):
        yield item_id, orjson.loads(content)


async def test_schedules_and_alerts_come_back_disabled(tmp_path: Path) -> None:
    """Without --enable-schedules every restored schedule and alert is off."""
    mock = writable_mock()
    db = tmp_path / "v.db"
    await backup(mock, db)
    folder = fullest_folder(mock)
    gone = await hard_delete_folder(mock, folder)
    options = RestoreOptions(wanted=Wanted(folder=folder), apply=True)
    assert (await run_restore(mock, db, options)).ok
    with Vault(db) as vault:
        id_map = RestoreLedger(vault).id_map()
    plans, alerts = mock.data.objects["scheduled_plans"], mock.data.objects["alerts"]
    assert gone["scheduled_plans"] or gone["alerts"]
    assert all(not plans[id_map["scheduled_plans"][i]]["enabled"] for i in gone["scheduled_plans"])
    assert all(alerts[id_map["alerts"][i]]["is_disabled"] for i in gone["alerts"])
    second = await run_restore(mock, db, RestoreOptions(wanted=Wanted(folder=folder)))
    assert {entry.action for entry in second.plan.entries} == {Action.SKIP}


async def test_trash_comes_back_with_its_ids(tmp_path: Path) -> None:
    """Soft-deleted dashboards and looks are undeleted in place, ids unchanged."""
    mock = writable_mock()
    db = tmp_path / "v.db"
    await backup(mock, db)
    live = {k: [i for i, o in sorted(mock.data.objects[k].items()) if not o["deleted"]][:2]
            for k in ("dashboards", "looks")}  # fmt: skip
    for kind, ids in live.items():
        for item_id in ids:
            mock.data.objects[kind][item_id] = {**mock.data.objects[kind][item_id], "deleted": True}
        mock._forget_type(kind)
    pairs = tuple((kind, item_id) for kind, ids in live.items() for item_id in ids)
    result = await run_restore(mock, db, RestoreOptions(wanted=Wanted(pairs=pairs), apply=True))
    assert result.ok, result.as_json()
    assert {entry.action for entry in result.plan.entries} == {Action.UNDELETE}
    for kind, item_id in pairs:
        assert mock.data.objects[kind][item_id]["deleted"] is False
    with Vault(db) as vault:
        assert RestoreLedger(vault).id_map() == {}


async def test_trashed_dashboard_comes_back_into_its_recreated_folder(tmp_path: Path) -> None:
    """Folder gone, dashboard in the trash: the folder is re-created, the dashboard undeleted into it."""
    mock = writable_mock()
    db = tmp_path / "v.db"
    await backup(mock, db)
    dash_id, dash = next(
        (k, d) for k, d in sorted(mock.data.objects["dashboards"].items())
        if not d["deleted"] and d["folder_id"] not in ("1", "2")
        and not mock.data.objects["folders"][d["folder_id"]]["is_personal"]
    )  # fmt: skip
    folder = dash["folder_id"]
    mock.data.objects["dashboards"][dash_id] = {**dash, "deleted": True}
    mock.data.delete("folders", folder)  # as if only the folder row went
    mock._forget_type("dashboards"), mock._forget_type("folders")
    pairs = (("folders", folder), ("dashboards", dash_id))
    result = await run_restore(mock, db, RestoreOptions(wanted=Wanted(pairs=pairs), apply=True))
    assert result.ok, result.as_json()
    actions = {(e.kind, e.source_id): e.action for e in result.plan.entries}
    assert actions[("folders", folder)] == Action.CREATE
    assert actions[("dashboards", dash_id)] == Action.UNDELETE
    with Vault(db) as vault:
        new_folder = RestoreLedger(vault).id_map()["folders"][folder]
    back = mock.data.objects["dashboards"][dash_id]
    assert back["deleted"] is False and back["folder_id"] == new_folder


async def test_content_trashed_before_the_backup_stays_out_unless_named(tmp_path: Path) -> None:
    """A folder restore names trashed content and leaves it; named by id it comes back live:
    undeleted when still in the trash, re-created when it is gone for good."""
    mock = writable_mock()
    folder = fullest_folder(mock)
    dashboards = mock.data.objects["dashboards"]
    in_folder = sorted(
        (k for k, d in dashboards.items() if d["folder_id"] == folder and not d["deleted"]), key=int
    )
    still, purged = in_folder[:2]
    for dash_id in (still, purged):
        dashboards[dash_id] = {**dashboards[dash_id], "deleted": True}
    mock._forget_type("dashboards")
    db = tmp_path / "v.db"
    await backup(mock, db)
    mock.data.delete("dashboards", purged)
    mock._forget_type("dashboards")
    plan = (await run_restore(mock, db, RestoreOptions(wanted=Wanted(folder=folder)))).plan
    assert not {still, purged} & {e.source_id for e in plan.entries if e.kind == "dashboards"}
    note = next(n for n in plan.not_restorable if n.startswith("dashboards in Looker's trash"))
    assert still in note.split(": ")[-1].split(", ") and purged in note.split(": ")[-1]
    pairs = (("dashboards", still), ("dashboards", purged))
    result = await run_restore(mock, db, RestoreOptions(wanted=Wanted(pairs=pairs), apply=True))
    assert result.ok, result.as_json()
    actions = {e.source_id: e.action for e in result.plan.entries}
    assert actions == {still: Action.UNDELETE, purged: Action.CREATE}
    with Vault(db) as vault:
        new_id = RestoreLedger(vault).id_map()["dashboards"][purged]
    assert dashboards[still]["deleted"] is False and dashboards[new_id]["deleted"] is False
    again = await run_restore(mock, db, RestoreOptions(wanted=Wanted(pairs=pairs)))
    assert {e.action for e in again.plan.entries} == {Action.SKIP}
