"""Plans and policies: CONFLICT, BLOCKED, UPDATE, copies, unknown ids, refused writes and resume."""

from __future__ import annotations

from pathlib import Path

import pytest

from lookervault.mock.app import MockLooker
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


@pytest.fixture
async def scene(tmp_path: Path) -> tuple[MockLooker, Path]:
    """A writable mock and its backup."""
    mock = writable_mock(seed=7)
    db = tmp_path / "v.db"
    await backup(mock, db)
    return mock, db


def _live(mock: MockLooker, kind: str) -> str:
    return next(k for k, o in sorted(mock.data.objects[kind].items()) if not o["deleted"])


def _options(*pairs: tuple[str, str], apply: bool = False, **plan: object) -> RestoreOptions:
    return RestoreOptions(
        wanted=Wanted(pairs=pairs),
        plan=PlanOptions(**plan),
        apply=apply,  # type: ignore[arg-type]
    )


async def test_changed_dashboard_is_a_conflict_then_updated_in_place(scene) -> None:
    """skip leaves a changed dashboard alone; overwrite updates it keeping its tile ids."""
    mock, db = scene
    dash_id = _live(mock, "dashboards")
    original = mock.data.objects["dashboards"][dash_id]
    mock.data.objects["dashboards"][dash_id] = {**original, "title": "Renamed by someone"}
    mock._forget_type("dashboards")
    plan = (await run_restore(mock, db, _options(("dashboards", dash_id)))).plan
    assert [e.action for e in plan.entries] == [Action.CONFLICT] and "/title" in plan.entries[
        0
    ].reason
    applied = await run_restore(
        mock, db, _options(("dashboards", dash_id), apply=True, on_conflict="overwrite")
    )
    assert [e.action for e in applied.plan.entries] == [Action.UPDATE] and applied.ok
    now = mock.data.objects["dashboards"][dash_id]
    assert now["title"] == original["title"]
    assert [e["id"] for e in now["dashboard_elements"]] == [
        e["id"] for e in original["dashboard_elements"]
    ]
    again = await run_restore(mock, db, _options(("dashboards", dash_id)))
    assert [e.action for e in again.plan.entries] == [Action.SKIP]


async def test_title_taken_in_folder_is_a_conflict_or_a_copy(scene) -> None:
    """A gone look whose title another look now has: CONFLICT, or with copy a suffixed copy."""
    mock, db = scene
    look_id = _live(mock, "looks")
    look = mock.data.objects["looks"][look_id]
    del mock.data.objects["looks"][look_id]
    squatter = {**look, "id": "999"}
    mock.data.objects["looks"]["999"] = squatter
    mock._forget_type("looks")
    plan = (await run_restore(mock, db, _options(("looks", look_id)))).plan
    assert [(e.action, e.reason) for e in plan.entries] == [
        (Action.CONFLICT, "title taken in the folder by look 999")
    ]
    copied = await run_restore(
        mock, db, _options(("looks", look_id), apply=True, on_conflict="copy")
    )
    assert copied.ok
    with Vault(db) as vault:
        new_id = RestoreLedger(vault).id_map()["looks"][look_id]
    assert mock.data.objects["looks"][new_id]["title"] == f"{look['title']} (restored)"


async def test_fail_policy_applies_nothing_when_anything_conflicts(scene) -> None:
    """--on-conflict fail: one conflict and no write is made; the result is not ok."""
    mock, db = scene
    dash_id, look_id = _live(mock, "dashboards"), _live(mock, "looks")
    mock.data.objects["dashboards"][dash_id] = {
        **mock.data.objects["dashboards"][dash_id],
        "title": "x",
    }
    del mock.data.objects["looks"][look_id]
    mock._forget_type("dashboards"), mock._forget_type("looks")
    before = mock.stats.writes
    result = await run_restore(
        mock,
        db,
        _options(("dashboards", dash_id), ("looks", look_id), apply=True, on_conflict="fail"),
    )
    assert result.refused and not result.ok and mock.stats.writes == before


async def test_missing_explore_blocks_and_unknown_ids_are_named(scene) -> None:
    """A query on an explore Looker lost is BLOCKED; ids the vault lacks are listed missing."""
    mock, db = scene
    look_id = _live(mock, "looks")
    query = mock.data.objects["looks"][look_id]["query"]
    del mock.data.objects["looks"][look_id]
    del mock.data.objects["explores"][f"{query['model']}::{query['view']}"]
    mock._forget_type("looks"), mock._forget_type("explores")
    result = await run_restore(
        mock, db, _options(("looks", look_id), ("dashboards", "424242"), apply=True)
    )
    assert [(e.action, e.reason) for e in result.plan.entries] == [
        (Action.BLOCKED, f"missing: explore {query['model']}::{query['view']}")
    ]
    assert result.plan.missing == [("dashboards", "424242", "not in the vault")]
    assert not result.ok and look_id not in mock.data.objects["looks"]


async def test_run_lacking_the_item_is_named(scene) -> None:
    """--run N restores run N's snapshot: an item created after it is missing there."""
    mock, db = scene
    created = mock.data.create("looks")
    mock._forget_type("looks")
    await backup(mock, db)
    result = await run_restore(
        mock, db, RestoreOptions(wanted=Wanted(pairs=(("looks", created["id"]),), run_id=1))
    )
    assert result.plan.missing == [("looks", created["id"], "not in run 1")]


async def test_refused_writes_fail_per_object_and_resume_finishes(scene, tmp_path: Path) -> None:
    """403 on dashboards: looks and folders are restored, dashboards fail by name; --resume ends it."""
    mock, db = scene
    folder = fullest_folder(mock)
    gone = await hard_delete_folder(mock, folder)
    mock.options = type(mock.options)(**{**mock.options.__dict__, "forbid_writes": ("dashboards",)})
    options = RestoreOptions(wanted=Wanted(folder=folder), apply=True)
    first = await run_restore(mock, db, options)
    assert not first.ok and first.applied is not None
    failed = {(f.kind, f.source_id) for f in first.applied.failures}
    assert {("dashboards", d) for d in gone["dashboards"] if ("dashboards", d) in failed}
    assert all("403" in f.error for f in first.applied.failures if f.kind == "dashboards"), (
        first.applied.failures
    )
    mock.options = type(mock.options)(**{**mock.options.__dict__, "forbid_writes": ()})
    resumed = await run_restore(mock, db, RestoreOptions(resume=True))
    assert resumed.ok, resumed.as_json()
    titles = [
        (d["folder_id"], d["title"])
        for d in mock.data.objects["dashboards"].values()
        if not d["deleted"]
    ]
    assert len(titles) == len(set(titles))  # no dashboard twice
    final = await run_restore(mock, db, RestoreOptions(wanted=Wanted(folder=folder)))
    assert {e.action for e in final.plan.entries} == {Action.SKIP}, [
        e for e in final.plan.entries if e.action != Action.SKIP
    ]


async def test_extra_tile_left_alone_unless_prune(scene) -> None:
    """overwrite keeps a tile Looker has beyond the backup and says so; --prune deletes it."""
    mock, db = scene
    dash_id = _live(mock, "dashboards")
    assert mock.writes is not None
    extra = mock.writes.dashboards.create_element(
        {"dashboard_id": dash_id, "type": "text", "body_text": "new"}
    )
    mock._forget_type("dashboards")
    pair = ("dashboards", dash_id)
    kept = await run_restore(mock, db, _options(pair, apply=True, on_conflict="overwrite"))
    assert kept.applied is not None and any("left alone" in note for note in kept.applied.notes)
    assert extra["id"] in {
        e["id"] for e in mock.data.objects["dashboards"][dash_id]["dashboard_elements"]
    }
    pruned = await run_restore(
        mock, db, _options(pair, apply=True, on_conflict="overwrite", prune=True)
    )
    assert pruned.applied is not None and any(
        "deleted (--prune)" in n for n in pruned.applied.notes
    )
    assert extra["id"] not in {
        e["id"] for e in mock.data.objects["dashboards"][dash_id]["dashboard_elements"]
    }
    assert [e.action for e in (await run_restore(mock, db, _options(pair))).plan.entries] == [
        Action.SKIP
    ]


async def test_board_that_lost_items_is_completed_by_overwrite(scene) -> None:
    """A board whose dashboard was deleted and restored gets its item back, in its order."""
    mock, db = scene
    board_id, board = next(
        (k, b) for k, b in sorted(mock.data.objects["boards"].items())
        if any(i["dashboard_id"] for s in b["board_sections"] for i in s["board_items"])
    )  # fmt: skip
    item = next(i for s in board["board_sections"] for i in s["board_items"] if i["dashboard_id"])
    dash_id = item["dashboard_id"]
    await _hard_delete(mock, "dashboards", dash_id)
    pairs = (("dashboards", dash_id), ("boards", board_id))
    plan = (await run_restore(mock, db, _options(*pairs))).plan
    assert [e.action for e in plan.entries] == [Action.CREATE, Action.CONFLICT]
    done = await run_restore(mock, db, _options(*pairs, apply=True, on_conflict="overwrite"))
    assert done.ok, done.as_json()
    final = (await run_restore(mock, db, _options(*pairs))).plan.entries
    assert [e.action for e in final] == [Action.SKIP, Action.SKIP], final


async def _hard_delete(mock: MockLooker, kind: str, item_id: str) -> None:
    """Delete one object as an admin would, and the board items pointing at it."""
    import httpx

    from lookervault.mock.deletes import _drop_board_items

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=mock), base_url="http://m") as c:
        assert (await c.post(f"/__mock__/hard_delete/{kind}/{item_id}")).status_code == 200
    _drop_board_items(mock.data, {item_id} if kind == "dashboards" else set(), set())
    mock._forget_type("boards")


async def test_renamed_folder_is_renamed_back_by_overwrite(scene) -> None:
    """A folder renamed since the backup: CONFLICT, then overwrite renames it back in place."""
    mock, db = scene
    folder_id = fullest_folder(mock)
    name = mock.data.objects["folders"][folder_id]["name"]
    mock.data.objects["folders"][folder_id] = {
        **mock.data.objects["folders"][folder_id],
        "name": "Renamed",
    }
    mock._forget_type("folders")
    pair = ("folders", folder_id)
    entries = (await run_restore(mock, db, _options(pair))).plan.entries
    assert [e.action for e in entries if e.kind == "folders"] == [Action.CONFLICT]
    done = await run_restore(mock, db, _options(pair, apply=True, on_conflict="overwrite"))
    assert done.ok and mock.data.objects["folders"][folder_id]["name"] == name


async def test_changed_schedule_and_alert_are_overwritten(scene) -> None:
    """A schedule and an alert changed since the backup are set back (PATCH, PUT), ids kept."""
    mock, db = scene
    plans, alerts = mock.data.objects["scheduled_plans"], mock.data.objects["alerts"]
    plan_id, alert_id = sorted(plans)[0], sorted(alerts)[0]
    crontab, threshold = plans[plan_id]["crontab"], alerts[alert_id]["threshold"]
    plans[plan_id] = {**plans[plan_id], "crontab": "0 0 1 1 *"}
    alerts[alert_id] = {**alerts[alert_id], "threshold": -1.0}
    mock._forget_type("scheduled_plans"), mock._forget_type("alerts")
    pairs = (("scheduled_plans", plan_id), ("alerts", alert_id))
    options = _options(*pairs, apply=True, on_conflict="overwrite", enable_schedules=True)
    done = await run_restore(mock, db, options)
    assert done.ok and [e.action for e in done.plan.entries] == [Action.UPDATE, Action.UPDATE]
    assert plans[plan_id]["crontab"] == crontab and alerts[alert_id]["threshold"] == threshold
    again = await run_restore(mock, db, _options(*pairs, enable_schedules=True))
    assert [e.action for e in again.plan.entries] == [Action.SKIP, Action.SKIP]


async def test_run_n_restores_that_snapshot(scene) -> None:
    """A look renamed between runs 1 and 2: --run 1 (overwrite) brings run 1's title back, the
    latest state plans it as already there."""
    mock, db = scene
    look_id = _live(mock, "looks")
    original = mock.data.objects["looks"][look_id]
    mock.data.objects["looks"][look_id] = {**original, "title": "Renamed before run 2"}
    mock._forget_type("looks")
    await backup(mock, db)
    latest = await run_restore(mock, db, _options(("looks", look_id)))
    assert [e.action for e in latest.plan.entries] == [Action.SKIP]
    options = RestoreOptions(
        wanted=Wanted(pairs=(("looks", look_id),), run_id=1),
        plan=PlanOptions(on_conflict="overwrite"),
        apply=True,
    )
    result = await run_restore(mock, db, options)
    assert [e.action for e in result.plan.entries] == [Action.UPDATE] and result.ok
    assert mock.data.objects["looks"][look_id]["title"] == original["title"]
