"""Look tiles on a restored dashboard whose look lives outside the restored folder: the tile points
at the look still in Looker, or at its re-created copy through the id map; when the look is gone
and not being restored, the dashboard is BLOCKED (named), never created with a dangling tile."""

from __future__ import annotations

from pathlib import Path

import pytest

from lookervault.mock.app import MockLooker
from lookervault.restore.compare import differences
from lookervault.restore.entries import Action
from lookervault.restore.plan import PlanOptions
from lookervault.restore.run import RestoreOptions
from lookervault.restore.select import Wanted
from lookervault.vault.restores import RestoreLedger
from lookervault.vault.store import Vault
from tests.restore.scene import (
    backup,
    fullest_folder,
    hard_delete_folder,
    run_restore,
    writable_mock,
)

pytestmark = pytest.mark.anyio


def _scene() -> tuple[MockLooker, str, str, str]:
    """(mock, folder, dashboard in it, look outside it): the dashboard's first tile shows the look."""
    mock = writable_mock(seed=3)
    folder = fullest_folder(mock)
    objects = mock.data.objects
    alerted = {a["dashboard_element_id"] for a in objects["alerts"].values()}
    dash_id = max(
        (
            k
            for k, d in objects["dashboards"].items()
            if d["folder_id"] == folder and not d["deleted"]
        ),
        key=lambda k: (
            len({e["id"] for e in objects["dashboards"][k]["dashboard_elements"]} & alerted),
            -int(k),
        ),
    )  # fmt: skip (the one with most alerts)
    look_id, look = next(
        (k, lk) for k, lk in sorted(objects["looks"].items(), key=lambda kv: int(kv[0]))
        if lk["folder_id"] != folder and not lk["deleted"]
        and not objects["folders"][lk["folder_id"]]["is_personal"]
    )  # fmt: skip
    dash = objects["dashboards"][dash_id]
    elements = list(dash["dashboard_elements"])
    elements[0] = {**elements[0], "look_id": look_id, "query": look["query"],
                   "query_id": look["query_id"], "merge_result_id": None}  # fmt: skip
    layout = dash["dashboard_layouts"][0]
    components = [
        {**c, "vis_type": look["query"]["vis_config"].get("type")}
        if c["dashboard_element_id"] == elements[0]["id"] else c
        for c in layout["dashboard_layout_components"]
    ]  # fmt: skip
    layout = {**layout, "dashboard_layout_components": components}
    objects["dashboards"][dash_id] = {
        **dash,
        "dashboard_elements": elements,
        "dashboard_layouts": [layout],
    }
    mock._forget_type("dashboards")
    return mock, folder, dash_id, look_id


def _folder(folder: str, apply: bool = True) -> RestoreOptions:
    return RestoreOptions(
        wanted=Wanted(folder=folder), plan=PlanOptions(enable_schedules=True), apply=apply
    )


async def _restored_tile(mock: MockLooker, db: Path, dash_id: str) -> tuple[str, dict]:
    with Vault(db) as vault:
        id_map = RestoreLedger(vault).id_map()
    dash = mock.data.objects["dashboards"][id_map["dashboards"][dash_id]]
    return dash["dashboard_elements"][0]["look_id"], id_map


async def test_tile_keeps_the_look_that_still_exists(tmp_path: Path) -> None:
    """The look outside the folder was never deleted: the re-created tile shows it, same id."""
    mock, folder, dash_id, look_id = _scene()
    db = tmp_path / "v.db"
    await backup(mock, db)
    backed_up = mock.ground_truth()["dashboards"][dash_id]
    await hard_delete_folder(mock, folder)
    result = await run_restore(mock, db, _folder(folder))
    assert result.ok, result.as_json()
    tile_look, id_map = await _restored_tile(mock, db, dash_id)
    assert tile_look == look_id
    new = mock.ground_truth()["dashboards"][id_map["dashboards"][dash_id]]
    assert differences(backed_up, new, id_map) == []


async def test_tile_follows_the_id_map_to_a_recreated_look(tmp_path: Path) -> None:
    """The look was gone too and an earlier restore re-created it: the tile shows the new id."""
    mock, folder, dash_id, look_id = _scene()
    db = tmp_path / "v.db"
    await backup(mock, db)
    await hard_delete_folder(mock, folder)
    mock.data.delete("looks", look_id)
    mock._forget_type("looks")
    blocked = (await run_restore(mock, db, _folder(folder, apply=False))).plan
    entry = next(e for e in blocked.entries if e.kind == "dashboards" and e.source_id == dash_id)
    assert entry.action == Action.BLOCKED and entry.reason == f"missing: look {look_id}"
    looks = RestoreOptions(wanted=Wanted(pairs=(("looks", look_id),)), apply=True)
    assert (await run_restore(mock, db, looks)).ok
    result = await run_restore(mock, db, _folder(folder))
    assert result.ok, result.as_json()
    tile_look, id_map = await _restored_tile(mock, db, dash_id)
    assert tile_look == id_map["looks"][look_id] != look_id


async def test_dashboard_with_a_gone_look_is_blocked_and_named(tmp_path: Path) -> None:
    """Look gone and not restored: the dashboard (and its alerts) are BLOCKED, nothing dangles."""
    mock, folder, dash_id, look_id = _scene()
    db = tmp_path / "v.db"
    await backup(mock, db)
    tiles = {e["id"] for e in mock.data.objects["dashboards"][dash_id]["dashboard_elements"]}
    alert_ids = {k for k, a in mock.data.objects["alerts"].items()
                 if a["dashboard_element_id"] in tiles}  # fmt: skip
    await hard_delete_folder(mock, folder)
    mock.data.delete("looks", look_id)
    mock._forget_type("looks")
    result = await run_restore(mock, db, _folder(folder))
    entries = {(e.kind, e.source_id): e for e in result.plan.entries}
    assert entries[("dashboards", dash_id)].action == Action.BLOCKED
    assert entries[("dashboards", dash_id)].reason == f"missing: look {look_id}"
    with Vault(db) as vault:
        id_map = RestoreLedger(vault).id_map()
    assert dash_id not in id_map.get("dashboards", {})
    assert dash_id not in mock.data.objects["dashboards"]
    assert alert_ids, "the dashboard has alerts"
    on_dash = [e for (kind, i), e in entries.items() if kind == "alerts" and i in alert_ids]
    assert [e.action for e in on_dash] == [Action.BLOCKED] * len(alert_ids)
    assert all(e.reason == f"missing: dashboard {dash_id}" for e in on_dash)


async def test_tiles_outside_the_restore_on_a_recreated_look_are_named(tmp_path: Path) -> None:
    """A dashboard elsewhere shows a look of the deleted folder: the look comes back with a new
    id, and the plan names the dashboard whose tile still shows the old one."""
    mock = writable_mock(seed=3)
    folder = fullest_folder(mock)
    objects = mock.data.objects
    look_id = next(k for k, lk in sorted(objects["looks"].items(), key=lambda kv: int(kv[0]))
                   if lk["folder_id"] == folder and not lk["deleted"])  # fmt: skip
    dash_id = next(k for k, d in sorted(objects["dashboards"].items(), key=lambda kv: int(kv[0]))
                   if d["folder_id"] != folder and not d["deleted"])  # fmt: skip
    dash = objects["dashboards"][dash_id]
    tile = {**dash["dashboard_elements"][0], "look_id": look_id, "merge_result_id": None}
    objects["dashboards"][dash_id] = {**dash, "dashboard_elements": [tile]}
    mock._forget_type("dashboards")
    db = tmp_path / "v.db"
    await backup(mock, db)
    await hard_delete_folder(mock, folder)
    plan = (await run_restore(mock, db, _folder(folder, apply=False))).plan
    prefix = f"look {look_id} comes back with a new id; tiles of dashboards not being restored"
    note = next(n for n in plan.not_restorable if n.startswith(prefix + " "))
    assert dash_id in note.split(": ")[-1].split(", ")
