"""What a list answer says beside its items: X-Total-Count, and which error a status means.

Looker sends `X-Total-Count` only with `limit` and not on every endpoint, so it is a hint the
listing may use to end early, never a requirement.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any, NamedTuple

from lookervault.config import LISTING_REPEAT_RETRIES, MAX_LISTED_ITEMS
from lookervault.errors import ApiError, ForbiddenError, NotFoundError, PagingError

__all__ = [
    "TOTAL_COUNT_HEADER",
    "ListPage",
    "check_page_length",
    "confirmed_pages",
    "error_class",
    "total_count",
]

logger = logging.getLogger(__name__)

GetPage = Callable[[str, dict[str, Any]], Awaitable["ListPage"]]

TOTAL_COUNT_HEADER = "X-Total-Count"
_FORBIDDEN = 403
_NOT_FOUND = 404


class ListPage(NamedTuple):
    """One page of a list endpoint: the items' bytes and the total Looker announced, if any."""

    items: list[bytes]
    total: int | None = None


def total_count(headers: Mapping[str, str]) -> int | None:
    """The X-Total-Count header as a count; None when absent or not a non-negative integer."""
    raw = headers.get(TOTAL_COUNT_HEADER)
    if raw is None or not raw.strip().isdigit():
        return None
    return int(raw.strip())


def error_class(status: int) -> type[ApiError]:
    """The error an unsuccessful status raises: 404 and 403 are told apart from the rest."""
    if status == _NOT_FOUND:
        return NotFoundError
    if status == _FORBIDDEN:
        return ForbiddenError
    return ApiError


def check_page_length(path: str, page: ListPage, limit: int) -> None:
    """A page longer than the limit asked means the server ignores `limit`: paging is not safe.

    Raises:
        PagingError: the page is longer than `limit`.
    """
    if len(page.items) > limit:
        raise PagingError(
            f"GET {path} answered {len(page.items)} items to limit={limit}: "
            "the server ignores limit, so its pages cannot be trusted"
        )


async def confirmed_pages(
    get_page: GetPage,
    path: str,
    params: Mapping[str, Any],
    limit: int,
    ids_of: Callable[[ListPage], list[str]],
) -> AsyncIterator[tuple[ListPage, list[str]]]:
    """Yield a listing's non-empty pages and their ids until the server confirms the end.

    A short page alone ends nothing (a server may cap `limit`): the end is an empty page or
    X-Total-Count reached; offsets advance by what the server sent. A page asked again that
    repeats the page before is retried a few times, then fails, as does a page longer than
    `limit` or more than MAX_LISTED_ITEMS ids, so the walk always ends.

    Raises:
        PagingError: limit ignored, a page repeated, or no end in sight.
    """
    asked = {**params, "limit": limit}
    offset, previous = 0, frozenset[str]()
    while True:
        page, ids = await _next_page(
            get_page, path, {**asked, "offset": offset}, limit, ids_of, previous
        )
        if not ids:
            return
        yield page, ids
        offset += len(ids)
        if offset > MAX_LISTED_ITEMS:
            raise PagingError(
                f"GET {path} listed more than {MAX_LISTED_ITEMS} ids: paging never ends"
            )
        if page.total is not None and offset >= page.total:
            return  # X-Total-Count agrees: no need to ask for the empty page
        previous = frozenset(ids)


async def _next_page(
    get_page: GetPage,
    path: str,
    params: dict[str, Any],
    limit: int,
    ids_of: Callable[[ListPage], list[str]],
    previous: frozenset[str],
) -> tuple[ListPage, list[str]]:
    """The page at params' offset and its ids, asked again when it repeats the page before."""
    for _ in range(LISTING_REPEAT_RETRIES + 1):
        page = await get_page(path, params)
        check_page_length(path, page, limit)
        ids = ids_of(page)
        if not ids or not previous or not set(ids) <= previous:
            return page, ids
        logger.info("GET %s: the page at offset %s repeats the page before", path, params["offset"])
    raise PagingError(
        f"GET {path} answered the same ids at offset {params['offset']} as the page before, "
        f"{LISTING_REPEAT_RETRIES + 1} times: the server ignores offset"
    )
