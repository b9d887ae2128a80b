"""Access rules: inherits set first, then the grants the folder lacks; a second plan is SKIP."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from lookervault.looker.client import LookerClient
from lookervault.restore.access import plan_access, restore_access
from lookervault.restore.entries import Action
from lookervault.restore.target import Target
from lookervault.restore.writes import Writes
from lookervault.vault.restores import RestoreLedger
from lookervault.vault.store import Vault
from tests.restore.scene import SETTINGS

pytestmark = pytest.mark.anyio


class _Looker:
    """Folder 9 (content metadata c9) that inherits and has no grants."""

    def __init__(self) -> None:
        self.inherits = True
        self.grants: list[dict] = []
        self.sent: list[tuple[str, str, object]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path.removeprefix("/api/4.0")
        if path == "/login":
            return httpx.Response(200, json={"access_token": "t", "expires_in": 3600})
        body = json.loads(request.content) if request.content else None
        if request.method not in ("GET", "DELETE"):
            self.sent.append((request.method, path, body))
        if path == "/folders/9":
            return httpx.Response(200, json={"id": "9", "content_metadata_id": "c9"})
        if path == "/content_metadata/c9":
            if request.method == "PATCH":
                self.inherits = body["inherits"]
            return httpx.Response(200, json={"id": "c9", "inherits": self.inherits})
        if path == "/content_metadata_access" and request.method == "POST":
            self.grants.append(body)
            return httpx.Response(200, json={**body, "id": "1"})
        if path == "/content_metadata_access":
            return httpx.Response(200, json=self.grants)
        return httpx.Response(204)


async def test_inherits_then_grants(tmp_path: Path) -> None:
    """A folder that did not inherit, with a group grant, is set so again in that order."""
    looker = _Looker()
    rule = {"permission_type": "edit", "group_id": "3", "user_id": None, "id": "77"}
    obj = {"owner": "folders", "owner_id": "9", "rules": [rule, rule], "inherits": False}
    async with LookerClient(SETTINGS, transport=httpx.MockTransport(looker)) as client:
        target = Target(client)
        entry = await plan_access(target, "folders/9", obj, None, {}, exists=True)
        assert (entry.action, entry.reason) == (
            Action.CREATE,
            "inherits -> false, 1 of 2 grants missing",
        )
        with Vault(tmp_path / "v.db") as vault:
            ledger = RestoreLedger(vault)
            writes = Writes(client, ledger, ledger.start(None, {}, "u"), {}, set())
            await restore_access(writes, entry, obj)
        again = await plan_access(target, "folders/9", obj, None, {}, exists=True)
        gone = await plan_access(target, "folders/9", obj, None, {}, exists=False)
    assert looker.sent == [
        ("PATCH", "/content_metadata/c9", {"inherits": False}),
        ("POST", "/content_metadata_access",
         {"content_metadata_id": "c9", "permission_type": "edit", "group_id": "3", "user_id": None}),
    ]  # fmt: skip
    assert again.action == Action.SKIP and gone.action == Action.BLOCKED
