"""Users' memberships: matched by id, never created; lacking groups and roles added, none removed."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from lookervault.restore.entries import Action
from lookervault.restore.run import RestoreOptions
from lookervault.restore.select import Wanted
from lookervault.vault.restores import RestoreLedger
from lookervault.vault.store import Vault
from tests.mock.request_schemas import request_errors
from tests.restore.scene import Recorder, backup, run_restore, writable_mock

pytestmark = pytest.mark.anyio


async def test_memberships_come_back_through_the_id_map(tmp_path: Path) -> None:
    """A user who lost a role, and whose group was deleted, gets the role and the re-created group."""
    mock = writable_mock(seed=3)
    db = tmp_path / "v.db"
    await backup(mock, db)
    users = mock.data.objects["users"]
    user_id, user = next(  # not "All Users" (group 1): Looker never lets it be deleted
        (k, u) for k, u in sorted(users.items())
        if set(u["group_ids"]) - {"1"} and u["role_ids"] and k != "1"
    )  # fmt: skip
    group_id = next(g for g in user["group_ids"] if g != "1")
    role_id = user["role_ids"][0]
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=mock), base_url="http://m") as c:
        assert (await c.post(f"/__mock__/hard_delete/groups/{group_id}")).status_code == 200
    users[user_id] = {
        **users[user_id],
        "group_ids": [g for g in user["group_ids"] if g != group_id],
        "role_ids": [],
    }
    mock._forget_type("users")
    pairs = (("groups", group_id), ("users", user_id), ("users", "424242"))
    result = await run_restore(mock, db, RestoreOptions(wanted=Wanted(pairs=pairs), apply=True))
    own = [e for e in result.plan.entries if e.kind != "memberships"]  # the group's lists too
    assert [e.action for e in own] == [Action.CREATE, Action.UPDATE]
    assert result.plan.missing == [("users", "424242", "not in the vault")]
    with Vault(db) as vault:
        new_group = RestoreLedger(vault).id_map()["groups"][group_id]
    now = users[user_id]
    assert new_group in now["group_ids"] and role_id in now["role_ids"]
    assert user_id in {u for u, o in users.items() if new_group in o["group_ids"]}
    again = await run_restore(mock, db, RestoreOptions(wanted=Wanted(pairs=pairs[:2])))
    assert {e.action for e in again.plan.entries} == {Action.SKIP}, again.plan.entries


async def test_a_gone_user_is_blocked_never_created(tmp_path: Path) -> None:
    """Restore never creates a user."""
    mock = writable_mock(seed=3)
    db = tmp_path / "v.db"
    await backup(mock, db)
    del mock.data.objects["users"]["2"]
    mock._forget_type("users")
    result = await run_restore(
        mock, db, RestoreOptions(wanted=Wanted(pairs=(("users", "2"),)), apply=True)
    )
    assert [(e.kind, e.action) for e in result.plan.entries] == [
        ("users", Action.BLOCKED),
        ("memberships", Action.BLOCKED),  # the user's own attribute values: nowhere to go
    ]
    assert "never created" in result.plan.entries[0].reason
    assert result.plan.entries[1].reason == "missing: user 2"
    assert "2" not in mock.data.objects["users"]


async def test_users_own_attribute_values_come_back_hidden_ones_named(tmp_path: Path) -> None:
    """Attributes deleted and re-created: each user's own value is set again on the new id
    (values from groups or the default are not the user's); hidden ones are named, not sent."""
    mock = writable_mock(seed=3)
    attributes, own = mock.data.objects["user_attributes"], mock.related.user_values
    holders = {a: [u for u in sorted(own, key=int) if a in own[u]] for a in attributes}
    shown = next(
        a
        for a in sorted(attributes, key=int)
        if holders[a] and not attributes[a]["value_is_hidden"]
    )
    hidden = next(a for a in sorted(attributes, key=int)
                  if holders[a] and attributes[a]["value_is_hidden"])  # fmt: skip
    db = tmp_path / "v.db"
    await backup(mock, db)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=mock), base_url="http://m") as c:
        for attr in (shown, hidden):
            assert (
                await c.post(f"/__mock__/hard_delete/user_attributes/{attr}")
            ).status_code == 200
    recorder = Recorder(mock)
    pairs = (("user_attributes", shown), ("user_attributes", hidden))
    options = RestoreOptions(wanted=Wanted(pairs=pairs, types=("users",)), apply=True)
    result = await run_restore(recorder, db, options)
    assert result.ok, result.as_json()
    with Vault(db) as vault:
        id_map = RestoreLedger(vault).id_map()["user_attributes"]
    for user_id in holders[shown]:
        assert own[user_id][id_map[shown]] == own[user_id][shown] == f"value of user {user_id}"
    assert not any(id_map[hidden] in own.get(u, {}) for u in holders[hidden])
    entries = {e.source_id: e for e in result.plan.entries if e.kind == "memberships"}
    for user_id in holders[hidden]:
        reason = entries[f"user_attribute_values/{user_id}"].reason
        assert f"hidden values of user_attributes {hidden} cannot be restored" in reason
    values = [(m, p.removeprefix("/api/4.0"), b) for m, p, b in recorder.writes
              if "/attribute_values/" in p and p.startswith("/api/4.0/users/")]  # fmt: skip
    assert sorted(p for _, p, _ in values) == sorted(
        f"/users/{u}/attribute_values/{id_map[shown]}" for u in holders[shown]
    )
    assert all(request_errors(m, p, b) == [] for m, p, b in values)
    again = await run_restore(
        mock, db, RestoreOptions(wanted=Wanted(pairs=pairs, types=("users",)))
    )
    assert [
        (e.kind, e.source_id, e.reason) for e in again.plan.entries if e.action != Action.SKIP
    ] == []
