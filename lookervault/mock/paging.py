"""Knobs that make the mock page and refuse like real Lookers do, all off by default.

A real Looker may cap `limit` below what was asked (`max_limit`), or ignore it and answer
everything from the offset on (`ignore_limit`); it sends `X-Total-Count` only when asked with
`limit` (`total_count`); it answers 403 to whole types an edition or a permission leaves out
(`forbid`; `trash` forbids only the `deleted=true` listings), and 404 to list endpoints a
release lacks (`missing`).
"""

from __future__ import annotations

from lookervault.mock.options import MockOptions
from lookervault.mock.responses import _error, _Response
from lookervault.mock.routes import Route

__all__ = ["TRASH", "capped_limit", "refusal", "split_types", "total_count_headers"]

TRASH = "trash"  # --forbid trash: 403 on the deleted=true listings of dashboards and looks
_ACCESS_TYPE = "content_metadata_access"
_FORBIDDEN_MESSAGE = "You are not allowed to access this resource."


def split_types(values: tuple[str, ...], known: tuple[str, ...]) -> tuple[str, ...]:
    """Repeated or comma-separated type names, checked against `known`.

    Raises:
        ValueError: a name that is not in `known`.
    """
    names = tuple(name.strip() for value in values for name in value.split(",") if name.strip())
    for name in names:
        if name not in known:
            raise ValueError(f"unknown type {name!r}; expected one of {', '.join(known)}")
    return names


def _route_type(route: Route) -> str | None:
    return _ACCESS_TYPE if route.kind == "access" else route.content_type


def refusal(options: MockOptions, route: Route, query: dict[str, str]) -> _Response | None:
    """The 403 or 404 the knobs give this request instead of its answer, or None."""
    content_type = _route_type(route)
    if content_type is None:
        return None
    if content_type in options.forbid:
        return _error(403, _FORBIDDEN_MESSAGE)
    trashed = query.get("deleted", "").lower() in ("true", "1")
    if TRASH in options.forbid and route.kind == "list" and trashed:
        return _error(403, _FORBIDDEN_MESSAGE)
    if content_type in options.missing and route.kind == "list":
        return _error(404, "Not found")
    return None


def capped_limit(options: MockOptions, limit: int | None) -> int | None:
    """The limit the mock honours: none when it ignores limits, at most max_limit when capped."""
    if options.ignore_limit:
        return None
    if options.max_limit is not None and limit is not None and limit > options.max_limit:
        return options.max_limit
    return limit


def total_count_headers(
    options: MockOptions, limit: int | None, total: int
) -> list[tuple[bytes, bytes]]:
    """X-Total-Count when the knob is on and the request gave a limit, as Looker sends it."""
    if not options.total_count or limit is None:
        return []
    return [(b"x-total-count", str(total).encode())]
