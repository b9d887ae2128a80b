"""Tests for lookervault.backup.ahead: listing pages asked ahead, each taken at most once."""

from __future__ import annotations

import anyio
import pytest

from lookervault.backup.ahead import PagesAhead
from lookervault.errors import ApiError
from lookervault.looker.listing import ListPage

pytestmark = pytest.mark.anyio


async def test_a_page_asked_ahead_is_taken_once_then_asked_afresh() -> None:
    """The first take answers from the request made ahead; a second take asks again."""
    asked: list[int] = []

    async def fetch(offset: int) -> ListPage:
        asked.append(offset)
        return ListPage([str(len(asked)).encode()], None)

    async with anyio.create_task_group() as tg:
        ahead = PagesAhead(tg, fetch)
        ahead.ask([1000])
        first = await ahead.page_at(1000)
        again = await ahead.page_at(1000)
        fresh = await ahead.page_at(0)
    assert (first.items, again.items, fresh.items) == ([b"1"], [b"2"], [b"3"])
    assert asked == [1000, 1000, 0]


async def test_an_error_of_a_page_asked_ahead_reaches_the_listing_only_if_it_gets_there() -> None:
    """A failed page asked ahead raises where the listing reads it, and nowhere else."""

    async def fetch(offset: int) -> ListPage:
        raise ApiError("GET", "/x", 500, f"broken at {offset}")

    async with anyio.create_task_group() as tg:
        ahead = PagesAhead(tg, fetch)
        ahead.ask([1000, 2000])
        with pytest.raises(ApiError, match="broken at 1000"):
            await ahead.page_at(1000)
    # the page at 2000 was never read: its error went nowhere, the task group ended cleanly
