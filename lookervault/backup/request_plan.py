"""`extract --plan`: how many requests a full run would make, from one cheap listing per type.

Looker editions allow 1,000, 10,000 or 100,000 API calls a month, so a run's cost should be
known before it is spent. The plan lists each paged type's ids (`fields=<id>`, plus the fields
a child type's keys are read from) and applies the pipeline's own arithmetic: two id listings,
the content pages, a get-by-id per item where the type needs one, a request per child key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lookervault.backup.options import ExtractOptions
from lookervault.backup.preflight import Preflight, preflight
from lookervault.backup.selection import select_types
from lookervault.config import ID_LISTING_PAGE_SIZE
from lookervault.content import ChildSource, ContentType, ListSource
from lookervault.looker.client import LookerClient
from lookervault.looker.request_counter import SESSION
from lookervault.settings import ConnectionSettings

__all__ = ["RequestPlan", "plan_requests", "predict_requests"]

# The fields a parent's listing carries so its child types' keys can be counted.
_KEY_FIELDS = {
    "lookml_models": ("explores",),
    "folders": ("content_metadata_id", "is_personal"),
    "boards": ("content_metadata_id",),
}

Listed = Mapping[str, list[list[dict[str, Any]]]]  # type -> per variant, the listed items


@dataclass(frozen=True)
class RequestPlan:
    """What a full run would cost, per type, and what the plan itself cost."""

    requests_by_type: dict[str, int]
    items: dict[str, int]
    spent: int
    access: str
    release: str | None

    @property
    def requests(self) -> int:
        """Requests a full run would make in all."""
        return sum(self.requests_by_type.values())

    def as_json(self) -> dict[str, Any]:
        """The one JSON object `extract --plan --json` prints."""
        return {
            "requests": self.requests,
            "requests_by_type": self.requests_by_type,
            "items": self.items,
            "plan_requests": self.spent,
            "access": self.access,
            "looker_release": self.release,
        }


async def plan_requests(
    settings: ConnectionSettings, options: ExtractOptions, *, transport: Any = None
) -> RequestPlan:
    """Log in, run the pre-flight, list each type's ids once, and predict a full run's requests."""
    types = select_types(options.content_types, options.exclude).types  # without --exclude
    async with LookerClient(settings, concurrency=1, transport=transport) as client:
        versions = await client.versions()
        found = await preflight(client, versions, types, options)
        session = client.metrics.get(f"requests:{SESSION}")
        listed = {ct.name: await _list(client, ct) for ct in _listed_types(found)}
        spent = client.metrics.get("requests")
    by_type = {SESSION: session, **predict_requests(found.types, listed, options.page_size)}
    items = {name: sum(len(v) for v in variants) for name, variants in listed.items()}
    return RequestPlan(by_type, items, spent, found.run_access, found.access.release)


def _listed_types(found: Preflight) -> list[ContentType]:
    """The paged types, and the parents of child types, of this run."""
    by_name = {ct.name: ct for ct in found.types}
    return [
        ct
        for ct in found.types
        if isinstance(ct.source, ListSource)
        and ct.source.paged
        or any(
            isinstance(c.source, ChildSource) and ct.name in c.source.parents
            for c in by_name.values()
        )
    ]


async def _list(client: LookerClient, ct: ContentType) -> list[list[dict[str, Any]]]:
    """Every variant's items, with only the id and the child keys' fields."""
    source = ct.source
    if not isinstance(source, ListSource):
        return []
    fields = ",".join((ct.id_key, *_KEY_FIELDS.get(ct.name, ())))
    found: list[list[dict[str, Any]]] = []
    for variant in source.variants:
        params: dict[str, Any] = {**source.params, **variant, "fields": fields}
        if not source.paged:
            found.append(list(await client.get_json(source.path, params) or ()))
            continue
        items: list[dict[str, Any]] = []
        while True:
            params.update(limit=ID_LISTING_PAGE_SIZE, offset=len(items))
            if source.sort:
                params["sorts"] = source.sort
            page = await client.get_json(source.path, params) or []
            items.extend(page)
            if len(page) < ID_LISTING_PAGE_SIZE:
                break
        found.append(items)
    return found


def predict_requests(
    types: tuple[ContentType, ...], listed: Listed, page_size: int
) -> dict[str, int]:
    """Requests per type of a full run, given what each listed type holds."""
    predicted: dict[str, int] = {}
    for ct in types:
        source = ct.source
        if isinstance(source, ChildSource):
            keys = {
                key
                for parent in source.parents
                for variant in listed.get(parent, ())
                for item in variant
                for key in source.keys(parent, item)
            }
            if keys:  # a type that makes no request is not in a run's counts either
                predicted[ct.name] = len(keys)
        elif not source.paged:
            predicted[ct.name] = len(source.variants)
        else:
            size = min(page_size, source.page_size or page_size)  # as backup/pages.py pages it
            predicted[ct.name] = sum(_paged(len(v), size, ct) for v in listed[ct.name])
    return predicted


def _paged(n: int, page_size: int, ct: ContentType) -> int:
    """One variant of n items: two id listings, the pages up to the last, per-item fetches.

    An id listing ends on an empty page (backup/listing.py: a short page alone does not end
    it), so it costs one request more than its pages of ids; a server sending X-Total-Count
    spares that request, which this prediction does not count on.
    """
    listings = 2 * (-(-n // ID_LISTING_PAGE_SIZE) + 1)
    pages = max(n - 1, 0) // page_size + 1
    return listings + pages + (n if ct.fetch_detail else 0)
