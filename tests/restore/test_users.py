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
from tests.restore.scene import backup, run_restore, writable_mock

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
    assert [e.action for e in result.plan.entries] == [Action.BLOCKED]
    assert "never created" in result.plan.entries[0].reason
    assert "2" not in mock.data.objects["users"]
