"""Items fetched one by one: every id once, by a few workers rather than a task per id."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest

from lookervault.backup.run import ExtractOptions, extract
from lookervault.mock.app import MockLooker, MockOptions
from lookervault.settings import ConnectionSettings
from lookervault.vault.store import Vault

pytestmark = pytest.mark.anyio

_LOOKS = 60
_CONCURRENCY = 4
_MOCK = MockOptions(counts={"looks": _LOOKS})
_SETTINGS = ConnectionSettings(
    base_url="http://mock", client_id=_MOCK.client_id, client_secret=_MOCK.client_secret
)


async def test_looks_fetched_by_id_once_each_by_as_many_tasks_as_requests_in_flight(
    tmp_path: Path,
) -> None:
    """A page of looks is fetched by id, each once, by at most `concurrency` workers."""
    mock = MockLooker(_MOCK)
    fetched: list[str] = []
    most_tasks = 0

    async def counting(scope: dict[str, Any], receive: Any, send: Any) -> None:
        nonlocal most_tasks
        prefix, _, look = scope.get("path", "").rpartition("/")
        if scope["type"] == "http" and prefix == "/api/4.0/looks" and look.isdigit():
            fetched.append(look)
            most_tasks = max(most_tasks, len(asyncio.all_tasks()))
        await mock(scope, receive, send)

    with Vault(tmp_path / "v.db") as vault:
        result = await extract(
            _SETTINGS,
            vault,
            ExtractOptions(content_types=("looks",), concurrency=_CONCURRENCY, page_size=100),
            transport=httpx.ASGITransport(app=counting),
        )
        stored = vault.item_ids("looks")
    assert result.status == "complete"
    assert sorted(fetched) == sorted(mock.data.objects["looks"]) == sorted(stored)
    # The run's own tasks (writers, listings, pages, the workers) are about 30; a task per id
    # made it 84.
    assert most_tasks < _LOOKS
