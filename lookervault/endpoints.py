"""Which endpoint each content type uses on the Looker release that `/versions` reports.

The registry (content.py) describes a current Looker. Older and newer releases differ:
`search_scheduled_plans` exists only from 24.18 (before it, `GET /scheduled_plans?all_users=true`
answers every schedule in one unpaged request), and from 25.20 `all_lookml_models` leaves out
self-service models unless asked for them with `include_self_service=true`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from lookervault.content import ContentType, ListSource

__all__ = [
    "SEARCH_SCHEDULES_SINCE",
    "SELF_SERVICE_FLAG_SINCE",
    "Release",
    "describe_endpoint",
    "for_release",
    "parse_release",
]

Release = tuple[int, int]
SEARCH_SCHEDULES_SINCE: Release = (24, 18)
SELF_SERVICE_FLAG_SINCE: Release = (25, 20)


def parse_release(text: object) -> Release | None:
    """Looker's `looker_release_version` ("24.18.3") as (24, 18); None when unreadable."""
    parts = text.split(".") if isinstance(text, str) else []
    if len(parts) < 2 or not (parts[0].isdigit() and parts[1].isdigit()):
        return None
    return int(parts[0]), int(parts[1])


def for_release(types: Iterable[ContentType], release: Release | None) -> tuple[ContentType, ...]:
    """The types with the endpoints `release` serves (an unknown release: the registry's)."""
    return tuple(_for_release(ct, release) for ct in types)


def _for_release(ct: ContentType, release: Release | None) -> ContentType:
    source = ct.source
    if release is None or not isinstance(source, ListSource):
        return ct
    if ct.name == "scheduled_plans" and release < SEARCH_SCHEDULES_SINCE:
        old = ListSource("/scheduled_plans", params=source.params, paged=False, sort=None)
        return dataclasses.replace(ct, source=old)
    if ct.name == "lookml_models" and release >= SELF_SERVICE_FLAG_SINCE:
        params = {**source.params, "include_self_service": "true"}
        return dataclasses.replace(ct, source=dataclasses.replace(source, params=params))
    return ct


def describe_endpoint(ct: ContentType) -> str:
    """One line naming the requests a type makes: `GET /path?params`, per variant."""
    source = ct.source
    if not isinstance(source, ListSource):
        return f"GET {source.path} per item of {', '.join(source.parents)}"
    variants = [{**source.params, **variant} for variant in source.variants]
    queries = ["&".join(f"{k}={v}" for k, v in sorted(params.items())) for params in variants]
    shown = " and ".join(f"GET {source.path}" + (f"?{q}" if q else "") for q in queries)
    return shown + ("" if source.paged else " (one request)")
