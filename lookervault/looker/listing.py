"""What a list answer says beside its items: X-Total-Count, and which error a status means.

Looker sends `X-Total-Count` only with `limit` and not on every endpoint, so it is a hint the
listing may use to end early, never a requirement.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

from lookervault.errors import ApiError, ForbiddenError, NotFoundError

__all__ = ["TOTAL_COUNT_HEADER", "ListPage", "error_class", "total_count"]

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
