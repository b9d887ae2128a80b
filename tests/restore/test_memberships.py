"""Memberships: lists in Looker gain the backed-up members they lack, through the id map; nothing
is removed; gone users and hidden values are left out."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from lookervault.looker.client import LookerClient
from lookervault.mock.app import MockLooker, MockOptions
from lookervault.restore.entries import Action
from lookervault.restore.memberships import (
    MEMBERSHIPS,
    differing,
    lacking,
    plan_membership,
    restore_membership,
)
from lookervault.restore.run import RestoreOptions
from lookervault.restore.select import Wanted
from lookervault.restore.target import Target
from lookervault.restore.writes import Writes
from lookervault.vault.restores import RestoreLedger
from lookervault.vault.store import Vault
from tests.mock.request_schemas import request_errors
from tests.restore.scene import SETTINGS, Recorder, backup, run_restore

pytestmark = pytest.mark.anyio


class _Looker:
    """Membership endpoints of a fake Looker: GET lists, PUT (or POST) whole lists, POST one member."""

    def __init__(self) -> None:
        self.lists = {"/roles/5/groups": [{"id": "2"}], "/roles/5/users": [],
                      "/groups/4/groups": [], "/user_attributes/6/group_values": []}  # fmt: skip
        self.users = {"7"}
        self.sent: list[tuple[str, str, object]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path.removeprefix("/api/4.0")
        if path == "/login":
            return httpx.Response(200, json={"access_token": "t", "expires_in": 3600})
        if path == "/logout":
            return httpx.Response(204)
        body = json.loads(request.content) if request.content else None
        if request.method != "GET":
            self.sent.append((request.method, path, body))
        if path.startswith("/users/"):
            found = path.rsplit("/", 1)[1] in self.users
            return (
                httpx.Response(200, json={"id": "7"})
                if found
                else httpx.Response(404, json={"message": "Not found"})
            )
        if request.method == "PATCH" and "/attribute_values/" in path:
            _, _, group, _, attr = path.split("/")
            values = self.lists[f"/user_attributes/{attr}/group_values"]
            values.append({"group_id": group, **body})
        elif request.method == "PUT" or isinstance(body, list):
            self.lists[path] = [{"id": i} if isinstance(i, str) else i for i in body]
        elif request.method == "POST":
            self.lists[path].append({"id": body["group_id"]})
        return httpx.Response(200, json=self.lists.get(path, []))


def test_lacking_maps_members_and_skips_hidden_values() -> None:
    """Mapped ids compared; a hidden value is never sent."""
    spec = MEMBERSHIPS["user_attribute_group_values"]
    rows = [{"group_id": "3", "value": "a"}, {"group_id": "2", "value": "b"},
            {"group_id": "8", "value": None, "value_is_hidden": True}]  # fmt: skip
    assert lacking(spec, rows, [{"group_id": "2"}], {"groups": {"3": "30"}}) == [
        {"group_id": "30", "value": "a"}
    ]


async def test_members_are_added_never_removed(tmp_path: Path) -> None:
    """Set the list again with the lacking members, POST nested groups; gone users noted."""
    looker = _Looker()
    id_map = {"groups": {"3": "30"}}
    items = {
        "role_groups": ("5", [{"id": "2"}, {"id": "3"}]),
        "role_users": ("5", [{"id": "7"}, {"id": "8"}]),
        "group_groups": ("4", [{"id": "3"}]),
        "user_attribute_group_values": ("6", [{"group_id": "3", "value": "x"}]),
    }
    async with LookerClient(SETTINGS, transport=httpx.MockTransport(looker)) as client:
        target = Target(client)
        entries = {}
        for kind, (owner, rows) in items.items():
            obj = {"type": kind, "owner_id": owner, "rows": rows}
            entries[kind] = (
                await plan_membership(target, f"{kind}/{owner}", obj, None, id_map),
                obj,
            )
        assert {k: e.action for k, (e, _) in entries.items()} == dict.fromkeys(items, Action.CREATE)
        assert entries["role_groups"][0].reason == "adds groups 30"
        with Vault(tmp_path / "v.db") as vault:
            ledger = RestoreLedger(vault)
            writes = Writes(
                client,
                ledger,
                ledger.start(None, {}, "u"),
                {k: dict(v) for k, v in id_map.items()},
                set(),
            )
            notes = []
            for entry, obj in entries.values():
                notes += await restore_membership(writes, entry, obj)
            again = [
                await plan_membership(target, e.source_id, o, None, id_map)
                for e, o in entries.values()
            ]
    assert looker.sent == [
        ("PUT", "/roles/5/groups", ["2", "30"]),
        ("PUT", "/roles/5/users", ["7"]),
        ("POST", "/groups/4/groups", {"group_id": "30"}),
        ("PATCH", "/groups/30/attribute_values/6", {"value": "x"}),
    ]
    assert notes == ["user 8 is gone, not added"]
    assert [e.action for e in again] == [Action.SKIP] * 4  # user 8 is gone: never created


async def test_hidden_group_values_are_named_never_overwritten(tmp_path: Path) -> None:
    """Looker hides a hidden attribute's values: the lost one is reported as not restorable, the
    others keep their secret values (no list is set again); a visible one comes back."""

    mock = MockLooker(MockOptions(seed=3, writable=True))
    attributes, values = mock.data.objects["user_attributes"], mock.related.group_values
    hidden = next(a for a in sorted(values, key=int)
                  if attributes[a]["value_is_hidden"] and len(values[a]) >= 2)  # fmt: skip
    shown = next(a for a in sorted(values, key=int)
                 if not attributes[a]["value_is_hidden"] and values[a])  # fmt: skip
    db = tmp_path / "v.db"
    await backup(mock, db)
    lost = {attr: values[attr].pop(0) for attr in (hidden, shown)}
    secrets = [dict(row) for row in values[hidden]]
    assert all(row["value"] for row in secrets)
    pairs = (("user_attributes", hidden), ("user_attributes", shown))
    recorder = Recorder(mock)
    result = await run_restore(recorder, db, RestoreOptions(wanted=Wanted(pairs=pairs), apply=True))
    assert result.ok, result.as_json()
    lists = {e.source_id: e for e in result.plan.entries if e.kind == "memberships"}
    gone_group = lost[hidden]["group_id"]
    assert lists[f"user_attribute_group_values/{hidden}"].action == Action.SKIP
    assert lists[f"user_attribute_group_values/{hidden}"].reason == (
        f"as in the backup; hidden values of groups {gone_group} cannot be restored"
    )
    assert lists[f"user_attribute_group_values/{shown}"].action == Action.CREATE
    assert any(attributes[hidden]["name"] in note for note in result.plan.not_restorable)
    assert values[hidden] == secrets  # never sent back empty
    back = {row["group_id"]: row["value"] for row in values[shown]}
    assert back[lost[shown]["group_id"]] == lost[shown]["value"]
    writes = [(m, p.removeprefix("/api/4.0"), b) for m, p, b in recorder.writes]
    assert [(m, p) for m, p, _ in writes if "logout" not in p] == [
        ("PATCH", f"/groups/{lost[shown]['group_id']}/attribute_values/{shown}")
    ]
    assert all(request_errors(m, p, b) == [] for m, p, b in writes if "logout" not in p)


def test_a_value_that_differs_is_named_not_lacking() -> None:
    """A group whose visible value changed is not re-added; it is named (hidden ones never)."""
    spec = MEMBERSHIPS["user_attribute_group_values"]
    backed_up = [{"group_id": "3", "value": "a"}, {"group_id": "4", "value": "b"},
                 {"group_id": "5", "value": None, "value_is_hidden": True}]  # fmt: skip
    current = [{"group_id": "30", "value": "changed"}, {"group_id": "4", "value": "b"},
               {"group_id": "5", "value": None, "value_is_hidden": True}]  # fmt: skip
    id_map = {"groups": {"3": "30"}}
    assert lacking(spec, backed_up, current, id_map) == []
    assert differing(spec, backed_up, current, id_map) == ["30"]
    assert differing(MEMBERSHIPS["role_groups"], [{"id": "3"}], [{"id": "3"}], {}) == []
