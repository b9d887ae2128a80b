"""Items fetched one by one: every id once, by a few workers rather than a task per id, page after
page; the listing after the pages beside the last of them."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import anyio
import httpx
import orjson
import pytest

from lookervault.backup.run import ExtractOptions, extract
from lookervault.mock.app import MockLooker, MockOptions
from lookervault.settings import ConnectionSettings
from lookervault.vault.store import Vault
from tests.support import assert_vault_equals

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


class _LooksByPage(httpx.AsyncBaseTransport):
    """The mock, noting which content page each look came in and the order looks are asked by id.

    Also notes, in the same sequence, when the listing after the pages asks its first page.
    """

    def __init__(self, app: MockLooker) -> None:
        self._inner = httpx.ASGITransport(app=app)
        self.page_of: dict[str, int] = {}
        self.asked: list[str] = []  # look ids asked by id, and "listing" for the second listing
        self._listings_at_0 = 0
        self.answered_at_listing = 0  # looks in the pages answered when the listing came

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        path, params = request.url.path, request.url.params
        _, _, last = path.rpartition("/")
        if last.isdigit():
            self.asked.append(last)
        elif params.get("fields") == "id" and params.get("offset") == "0":
            self._listings_at_0 += 1
            if self._listings_at_0 == 3:  # both variants listed once before the pages
                self.asked.append("listing")
                self.answered_at_listing = len(self.page_of)
        response = await self._inner.handle_async_request(request)
        if last == "search" and "fields" not in params and "offset" in params:
            body = await response.aread()
            page = int(params["offset"]) + (100_000 if params.get("deleted") == "true" else 0)
            for look in orjson.loads(body):
                self.page_of[str(look["id"])] = page
            return httpx.Response(response.status_code, headers=response.headers, content=body)
        return response


async def _looks_by_page(tmp_path: Path, looks: int) -> tuple[_LooksByPage, MockLooker, Any]:
    mock = MockLooker(MockOptions(counts={"looks": looks}))
    transport = _LooksByPage(mock)
    with anyio.fail_after(30), Vault(tmp_path / "v.db") as vault:
        result = await extract(
            _SETTINGS,
            vault,
            ExtractOptions(content_types=("looks",), concurrency=_CONCURRENCY, page_size=100),
            transport=transport,
        )
    return transport, mock, result


async def test_a_types_pages_hand_out_their_ids_one_page_after_the_other(tmp_path: Path) -> None:
    """Counted at the server: a page's looks are all asked before the next page's first one.

    Pages all fetching at once finished (and were committed) together at the type's end.
    """
    transport, mock, result = await _looks_by_page(tmp_path, 450)
    assert result.status == "complete" and not result.failures
    pages = [transport.page_of[i] for i in transport.asked if i != "listing"]
    assert len(pages) == 450
    runs = [p for n, p in enumerate(pages) if n == 0 or p != pages[n - 1]]
    assert len(runs) == len(set(runs)), f"pages interleaved: {runs}"
    assert_vault_equals(tmp_path / "v.db", mock.ground_truth_hashes(), ["looks"])


async def test_the_listing_after_the_pages_goes_beside_the_last_fetches_by_id(
    tmp_path: Path,
) -> None:
    """Counted at the server: the second listing comes before the last page's looks by id.

    Before, it waited for every look of every page; it is still after every page is answered.
    """
    transport, mock, result = await _looks_by_page(tmp_path, 450)
    assert result.status == "complete" and not result.failures
    at = transport.asked.index("listing")
    assert transport.answered_at_listing == 450  # every page answered before the listing...
    assert len(transport.asked) - at - 1 >= 20  # ...and a page's looks by id still to ask
    assert_vault_equals(tmp_path / "v.db", mock.ground_truth_hashes(), ["looks"])
