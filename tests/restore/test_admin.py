"""Admin objects: a role with its permission set and model set, a group, a user attribute and a
theme, hard-deleted, come back equal to their backup (the role on the new sets)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from lookervault.looker.writable import SENT_THOUGH_READ_ONLY
from lookervault.restore.compare import differences
from lookervault.restore.entries import Action
from lookervault.restore.run import RestoreOptions
from lookervault.restore.select import Wanted
from lookervault.vault.restores import RestoreLedger
from lookervault.vault.store import Vault
from tests.mock.request_schemas import read_only_fields, request_errors, request_schema_name
from tests.restore.scene import Recorder, backup, run_restore, writable_mock

pytestmark = pytest.mark.anyio


async def test_role_and_its_sets_group_attribute_theme_round_trip(tmp_path: Path) -> None:
    """Sets first, then the role on their new ids; a second plan is all SKIP."""
    mock = writable_mock(seed=3)
    db = tmp_path / "v.db"
    await backup(mock, db)
    role_id, role = next(
        (k, r) for k, r in sorted(mock.data.objects["roles"].items())
        if not r["permission_set"]["built_in"] and not r["model_set"]["built_in"]
    )  # fmt: skip
    doomed = [("roles", role_id), ("permission_sets", role["permission_set_id"]),
              ("model_sets", role["model_set_id"]), ("groups", "2"), ("user_attributes", "2"),
              ("themes", "2")]  # fmt: skip
    before = mock.ground_truth()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=mock), base_url="http://m") as c:
        for kind, item_id in doomed:
            assert (await c.post(f"/__mock__/hard_delete/{kind}/{item_id}")).status_code == 200
    options = RestoreOptions(wanted=Wanted(pairs=tuple(doomed)), apply=True)
    recorder = Recorder(mock)
    result = await run_restore(recorder, db, options)
    assert result.ok, result.as_json()
    for method, path, body in recorder.writes:  # each body valid per the API description
        if not path.endswith("/logout"):
            assert request_errors(method, path.removeprefix("/api/4.0"), body) == [], path
            if isinstance(body, dict):
                schema = request_schema_name(method, path.removeprefix("/api/4.0"))
                sent_anyway = set().union(*SENT_THOUGH_READ_ONLY.values())
                assert not set(body) & read_only_fields(schema) - sent_anyway, path
    assert [e.kind for e in result.plan.entries] == [
        "permission_sets", "model_sets", "groups", "roles", "user_attributes", "themes",
        *["memberships"] * 4,
    ]  # fmt: skip
    with Vault(db) as vault:
        id_map = RestoreLedger(vault).id_map()
    after = mock.ground_truth()
    for kind, item_id in doomed:
        new_id = id_map[kind][item_id]
        assert differences(before[kind][item_id], after[kind][new_id], id_map) == [], kind
    # The re-created owners' membership lists are the backed-up ones (members mapped).
    groups = id_map["groups"]
    for kind, owner, key in (
        ("role_groups", "roles", "id"),
        ("role_users", "roles", "id"),
        ("group_groups", "groups", "id"),
        ("user_attribute_group_values", "user_attributes", "group_id"),
    ):
        source = role_id if owner == "roles" else "2"
        was = [
            (groups.get(r[key], r[key]) if kind != "role_users" else r[key], r.get("value"))
            for r in before[kind][source]
        ]
        now = [(r[key], r.get("value")) for r in after[kind][id_map[owner][source]]]
        assert sorted(now) == sorted(was) and (was or kind == "group_groups"), kind
    again = await run_restore(mock, db, RestoreOptions(wanted=Wanted(pairs=tuple(doomed))))
    assert {e.action for e in again.plan.entries} == {Action.SKIP}


async def test_a_refused_create_422_is_named_and_resumable(tmp_path: Path) -> None:
    """Looker refuses a group whose name another group took (422): the failure names the group
    with Looker's words, the restore is not ok (exit 4); once the name is free, --resume ends it."""
    mock = writable_mock(seed=3)
    db = tmp_path / "v.db"
    await backup(mock, db)
    groups = mock.data.objects["groups"]
    group_id = next(k for k in sorted(groups, key=int) if k != "1")
    name = groups[group_id]["name"]
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=mock), base_url="http://m") as c:
        assert (await c.post(f"/__mock__/hard_delete/groups/{group_id}")).status_code == 200
    squatter = mock.data.create("groups")
    groups[squatter["id"]] = {**groups[squatter["id"]], "name": name}
    mock._forget_type("groups")
    options = RestoreOptions(wanted=Wanted(pairs=(("groups", group_id),)), apply=True)
    first = await run_restore(mock, db, options)
    assert not first.ok and first.applied is not None
    [failure] = [f for f in first.applied.failures if f.kind == "groups"]
    assert failure.source_id == group_id and failure.title == name
    assert "422" in failure.error and "Name has already been taken" in failure.error
    groups[squatter["id"]] = {**groups[squatter["id"]], "name": f"{name} (theirs)"}
    mock._forget_type("groups")
    resumed = await run_restore(mock, db, RestoreOptions(resume=True))
    assert resumed.ok, resumed.as_json()
    with Vault(db) as vault:
        new_id = RestoreLedger(vault).id_map()["groups"][group_id]
    assert groups[new_id]["name"] == name
    again = await run_restore(
        mock, db, RestoreOptions(wanted=Wanted(pairs=(("groups", group_id),)))
    )
    assert {e.action for e in again.plan.entries} == {Action.SKIP}
