"""A restore scene: a writable mock Looker, its backup in a vault, and a folder subtree to delete."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson

from lookervault.backup.run import ExtractOptions, extract
from lookervault.mock.app import MockLooker, MockOptions
from lookervault.restore.run import RestoreOptions, RestoreResult, restore
from lookervault.settings import ConnectionSettings
from lookervault.vault.store import Vault

_MOCK = MockOptions()
SETTINGS = ConnectionSettings(
    base_url="http://mock", client_id=_MOCK.client_id, client_secret=_MOCK.client_secret
)
RESTORED = ("folders", "looks", "dashboards", "boards", "scheduled_plans", "alerts")


# Tiny, with enough content that a folder subtree holds every kind of object.
COUNTS = {"dashboards": 40, "looks": 40, "boards": 6, "scheduled_plans": 30, "alerts": 30}


def writable_mock(seed: int = 3, **knobs: Any) -> MockLooker:
    """A writable mock whose fullest folder holds a text tile beside its query and look tiles."""
    mock = MockLooker(MockOptions(seed=seed, counts=COUNTS, writable=True, **knobs))
    folder = fullest_folder(mock)
    dash_id = next(
        key
        for key, d in sorted(mock.data.objects["dashboards"].items())
        if d["folder_id"] == folder and not d["deleted"]
    )
    dash = mock.data.objects["dashboards"][dash_id]
    text = {**dash["dashboard_elements"][0], "id": f"{dash_id}999", "type": "text", "query": None,
            "query_id": None, "look_id": None, "result_maker_id": None, "title": None,
            "merge_result_id": None,
            "body_text": "Read me first", "title_text": "Notes"}  # fmt: skip
    layout = dash["dashboard_layouts"][0]
    component = {**layout["dashboard_layout_components"][0], "id": text["id"],
                 "dashboard_element_id": text["id"], "row": 40, "element_title": None,
                 "vis_type": None}  # fmt: skip
    layout = {
        **layout,
        "dashboard_layout_components": [*layout["dashboard_layout_components"], component],
    }
    mock.data.objects["dashboards"][dash_id] = {
        **dash,
        "dashboard_elements": [*dash["dashboard_elements"], text],
        "dashboard_layouts": [layout],
    }
    mock._forget_type("dashboards")
    return mock


def fullest_folder(mock: MockLooker) -> str:
    """The shared, non-root folder whose subtree holds the most dashboards and looks."""
    folders = mock.data.objects["folders"]
    counts: dict[str, int] = {}
    for kind in ("dashboards", "looks"):
        for obj in mock.data.objects[kind].values():
            counts[obj["folder_id"]] = counts.get(obj["folder_id"], 0) + 1
    candidates = [
        key
        for key, f in folders.items()
        if f["parent_id"] is not None
        and not (f["is_personal"] or f["is_users_root"] or f["is_shared_root"])
    ]
    return max(candidates, key=lambda key: (counts.get(key, 0), key))


@dataclass
class Recorder:
    """An ASGI wrapper keeping every write a client sent: (method, path, JSON body)."""

    app: MockLooker
    writes: list[tuple[str, str, Any]] = field(default_factory=list)
    before_answer: Callable[[int], None] | None = None  # called with the write count

    async def __call__(
        self, scope: dict, receive: Callable[[], Awaitable[dict]], send: Any
    ) -> None:
        if scope["type"] != "http" or scope["method"] == "GET" or "/login" in scope["path"]:
            await self.app(scope, receive, send)
            return
        chunks = []

        async def replay() -> dict:
            message = await receive()
            chunks.append(message.get("body", b""))
            return message

        async def sending(message: dict) -> None:
            if message["type"] == "http.response.start" and scope["path"].startswith("/api/"):
                raw = b"".join(chunks)
                self.writes.append((scope["method"], scope["path"], orjson.loads(raw or b"null")))
                if self.before_answer is not None:
                    self.before_answer(len(self.writes))
            await send(message)

        await self.app(scope, replay, sending)


async def backup(app: Any, db: Path, base_url: str = SETTINGS.base_url) -> None:
    """A complete backup of the mock into the vault at db, recorded as taken from base_url."""
    settings = SETTINGS.model_copy(update={"base_url": base_url})
    with Vault(db) as vault:
        result = await extract(
            settings, vault, ExtractOptions(workers=1), transport=httpx.ASGITransport(app=app)
        )
    assert result.status == "complete", result


async def hard_delete_folder(mock: MockLooker, folder: str) -> dict[str, list[str]]:
    """Delete the folder subtree as an admin would, and every board pointing into it."""
    transport = httpx.ASGITransport(app=mock)
    async with httpx.AsyncClient(transport=transport, base_url="http://mock") as client:
        gone = (await client.post(f"/__mock__/hard_delete_folder/{folder}")).json()
        for board in gone["boards"]:
            await client.post(f"/__mock__/hard_delete/boards/{board}")
    return gone


async def run_restore(app: Any, db: Path, options: RestoreOptions) -> RestoreResult:
    """One restore against the (wrapped) mock in-process."""
    with Vault(db) as vault:
        return await restore(SETTINGS, vault, options, transport=httpx.ASGITransport(app=app))
