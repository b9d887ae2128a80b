"""List pages as the client reads them: items, X-Total-Count, and 403/404 told apart."""

from __future__ import annotations

import httpx
import pytest

from lookervault.errors import ApiError, ForbiddenError, NotFoundError
from lookervault.looker.listing import error_class, total_count
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
