"""List pages as the client reads them: items, X-Total-Count, and 403/404 told apart."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from lookervault.config import LISTING_REPEAT_RETRIES
from lookervault.errors import ApiError, ForbiddenError, NotFoundError, PagingError
from lookervault.looker.listing import ListPage, confirmed_pages, error_class, total_count
from tests.looker.fake_looker import FakeLooker


@pytest.mark.parametrize(
    ("headers", "expected"),
    [({"X-Total-Count": "1234"}, 1234), ({"x-total-count": " 7 "}, 7), ({}, None)]
    + [({"X-Total-Count": bad}, None) for bad in ("", "-1", "1e3", "many")],
)
def test_total_count_reads_only_non_negative_integers(
    headers: dict[str, str], expected: int | None
) -> None:
    """A usable header is a count; a missing or garbled one is no count, never an error."""
    assert total_count(httpx.Headers(headers)) == expected


def test_error_class_tells_403_and_404_apart() -> None:
    """403 is ForbiddenError, 404 NotFoundError, both ApiErrors; other statuses plain ApiError."""
    assert error_class(403) is ForbiddenError and error_class(404) is NotFoundError
    assert error_class(400) is ApiError and issubclass(ForbiddenError, ApiError)


@pytest.mark.anyio
async def test_get_page_returns_items_and_total(make_client, looker: FakeLooker) -> None:
    """get_page splits the page into item bytes and reads X-Total-Count beside them."""
    looker.script(
        "/users/search",
        httpx.Response(200, content=b'[{"id":1},{"id":2}]', headers={"X-Total-Count": "9"}),
        httpx.Response(200, content=b"[]"),
    )
    async with make_client() as client:
        first = await client.get_page("/users/search", {"limit": 2, "offset": 0})
        last = await client.get_page("/users/search", {"limit": 2, "offset": 2})
    assert first.items == [b'{"id":1}', b'{"id":2}'] and first.total == 9
    assert last.items == [] and last.total is None


@pytest.mark.anyio
async def test_403_raises_forbidden_without_retries(make_client, looker: FakeLooker) -> None:
    """A 403 on a list is a ForbiddenError after one request: retrying will not change it."""
    looker.script("/themes/search", httpx.Response(403, json={"message": "Forbidden"}))
    async with make_client() as client:
        with pytest.raises(ForbiddenError):
            await client.get_page("/themes/search", {"limit": 10})
    assert len(looker.requests_to("/themes/search")) == 1


def _server(pages: list[list[int]], total: int | None = None) -> tuple[Any, list[int]]:
    """A get_page that answers `pages` by offset (items are their ids), and the offsets asked."""
    flat = [i for page in pages for i in page]
    starts = {sum(len(p) for p in pages[:k]): page for k, page in enumerate(pages)}
    asked: list[int] = []

    async def get_page(path: str, params: dict[str, Any]) -> ListPage:
        offset = params["offset"]
        asked.append(offset)
        page = starts.get(offset, flat[offset : offset + 1] if offset < len(flat) else [])
        return ListPage([str(i).encode() for i in page], total)

    return get_page, asked


def _ids(page: ListPage) -> list[str]:
    return [raw.decode() for raw in page.items]


async def _walk(get_page: Any, limit: int = 5) -> list[str]:
    return [i async for _, ids in confirmed_pages(get_page, "/x", {}, limit, _ids) for i in ids]


@pytest.mark.anyio
async def test_a_short_page_ends_nothing_until_an_empty_page_confirms() -> None:
    """A server capping limit at 2 (pages of 2 to limit 5) is walked to the end, by what it sent."""
    get_page, asked = _server([[1, 2], [3, 4], [5]])
    assert await _walk(get_page) == ["1", "2", "3", "4", "5"]
    assert asked == [0, 2, 4, 5]


@pytest.mark.anyio
async def test_x_total_count_spares_the_empty_page() -> None:
    get_page, asked = _server([[1, 2], [3]], total=3)
    assert await _walk(get_page) == ["1", "2", "3"]
    assert asked == [0, 2]


@pytest.mark.anyio
async def test_a_page_longer_than_the_limit_fails() -> None:
    get_page, _ = _server([[1, 2, 3, 4, 5, 6]])
    with pytest.raises(PagingError, match="ignores limit"):
        await _walk(get_page)


@pytest.mark.anyio
async def test_a_repeated_page_is_asked_again_then_fails() -> None:
    """An offset the server ignores: the same ids again, a few retries, then a PagingError."""
    calls: list[int] = []

    async def get_page(path: str, params: dict[str, Any]) -> ListPage:
        calls.append(params["offset"])
        return ListPage([b"1", b"2"])

    with pytest.raises(PagingError, match="same ids"):
        await _walk(get_page)
    assert len(calls) == 1 + LISTING_REPEAT_RETRIES + 1
