"""Tests for lookervault.backup.pages: offsets up to the short page, pages ahead of the listing."""

from __future__ import annotations

from pathlib import Path

import anyio
import httpx
import pytest

from lookervault.backup.pages import PageCursor
from lookervault.mock.app import MockLooker, MockOptions
from lookervault.settings import ConnectionSettings
from tests.backup.test_listing import extract_users
from tests.support import assert_vault_equals

_MOCK = MockOptions()
_SETTINGS = ConnectionSettings(
    base_url="http://mock", client_id=_MOCK.client_id, client_secret=_MOCK.client_secret
)


def test_cursor_without_an_end_hands_out_offsets_until_told() -> None:
    """Offsets step by the page size; a short page stops the offsets after it."""
    cursor = PageCursor(5, None)
    assert [cursor.next(), cursor.next(), cursor.next()] == [0, 5, 10]
    assert cursor.pages_left() is None
    cursor.short_page_at(10)
    assert cursor.next() is None


def test_cursor_with_a_known_end_stops_there() -> None:
    """A resumed end (or the listing's count) bounds the pages; the earliest end wins."""
    cursor = PageCursor(5, 10)
    assert cursor.pages_left() == 3
    assert cursor.next() == 0
    cursor.short_page_at(20)  # a later end does not extend it
    cursor.short_page_at(5)
    assert cursor.pages_left() == 1
    assert cursor.next() == 5
    assert cursor.next() is None
    assert cursor.pages_left() == 0


def test_follow_cap_steps_by_the_cap_after_the_first_page() -> None:
    """A first page cut to 3 items: offsets step by 3 from there; later calls change nothing."""
    cursor = PageCursor(5, None)
    assert cursor.next() == 0
    cursor.follow_cap(3)
    cursor.short_page_at(9)
    assert [cursor.next(), cursor.next(), cursor.next(), cursor.next()] == [3, 6, 9, None]
    cursor.follow_cap(2)  # too late: offsets were handed out at the cap already
    assert cursor.page_size == 3


class _HoldListingEnd(httpx.AsyncBaseTransport):
    """The mock, except that the id listing at offset 2000 waits for a page at offset 1900."""

    def __init__(self, app: MockLooker) -> None:
        self._inner = httpx.ASGITransport(app=app)
        self._page_1900 = anyio.Event()
        self.listing_held = False
        self.pages_while_held: list[int] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        params = request.url.params
        offset = int(params.get("offset", -1))
        if params.get("fields") == "id" and offset == 2000:
            self.listing_held = True
            await self._page_1900.wait()  # pages waiting for the whole listing never get there
            self.listing_held = False
        elif "/users/search" in request.url.path and offset >= 0:
            if self.listing_held:
                self.pages_while_held.append(offset)
            if offset == 1900:
                self._page_1900.set()
        return await self._inner.handle_async_request(request)


@pytest.mark.anyio
async def test_pages_go_ahead_of_the_listing_only_as_far_as_it_counted(tmp_path: Path) -> None:
    """Counted at the server: pages the listing counted go before it ends, none beyond them."""
    mock = MockLooker(MockOptions(preset="tiny", counts={"users": 2500}))
    transport = _HoldListingEnd(mock)
    result = await extract_users(tmp_path / "v.db", transport)
    assert result.status == "complete" and not result.failures
    assert 1900 in transport.pages_while_held
    assert max(transport.pages_while_held) < 2000
    assert_vault_equals(tmp_path / "v.db", mock.ground_truth_hashes(), ["users"])
