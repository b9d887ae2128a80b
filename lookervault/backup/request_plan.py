"""`extract --plan`: how many requests a full run would make, from one cheap listing per type.

Looker editions allow 1,000, 10,000 or 100,000 API calls a month, so a run's cost should be
known before it is spent. The plan lists each paged type's ids (`fields=<id>`, plus the fields
a child type's keys are read from) and applies the pipeline's own arithmetic: two id listings,
the content pages, a get-by-id per item where the type needs one, a request per child key.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from lookervault.backup.items import item_id
from lookervault.backup.options import ExtractOptions
from lookervault.backup.preflight import Preflight, start_session
from lookervault.backup.selection import select_types
from lookervault.config import ID_LISTING_PAGE_SIZE
from lookervault.content import ChildSource, ContentType, ListSource
from lookervault.looker.client import LookerClient
from lookervault.looker.listing import ListPage, confirmed_pages
from lookervault.looker.payload import read_fields
from lookervault.looker.request_counter import SESSION
from lookervault.settings import ConnectionSettings

__all__ = ["RequestPlan", "plan_requests", "predict_requests"]

# The fields a parent's listing carries so its child types' keys can be counted.
_KEY_FIELDS = {
    "lookml_models": ("explores",),
    "folders": ("content_metadata_id", "is_personal"),
    "boards": ("content_metadata_id",),
}


@dataclass(frozen=True)
class VariantListing:
    """One variant's listed items, the requests its listing took, the cap it revealed."""

    items: list[dict[str, Any]]
    requests: int
    cap: int | None = None


Listed = Mapping[str, list[VariantListing]]  # type -> per variant, what its listing found


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
        _, found = await start_session(client, types, options)
        session = client.metrics.get(f"requests:{SESSION}")
        listed = {ct.name: await _list(client, ct) for ct in _listed_types(found)}
        spent = client.metrics.get("requests")
    by_type = {SESSION: session, **predict_requests(found.types, listed, options.page_size)}
    items = {name: sum(len(v.items) for v in variants) for name, variants in listed.items()}
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


async def _list(client: LookerClient, ct: ContentType) -> list[VariantListing]:
    """Every variant's items, with only the id and the child keys' fields.

    Paged variants are listed as the backup lists them (looker/listing.py: a short page ends
    nothing until the server confirms the end), so a server that caps `limit` is counted in
    full, and the cap it revealed is kept for the prediction of content pages.
    """
    source = ct.source
    if not isinstance(source, ListSource):
        return []
    fields = ",".join((ct.id_key, *_KEY_FIELDS.get(ct.name, ())))
    found: list[VariantListing] = []
    for variant in source.variants:
        params: dict[str, Any] = {**source.params, **variant, "fields": fields}
        before = client.metrics.get("requests")
        if not source.paged:
            answer: list[dict[str, Any]] = list(await client.get_json(source.path, params) or ())
            found.append(VariantListing(answer, client.metrics.get("requests") - before))
            continue
        if source.sort:
            params["sorts"] = source.sort
        items: list[dict[str, Any]] = []
        lengths: list[int] = []
        pages = confirmed_pages(
            client.get_page, source.path, params, ID_LISTING_PAGE_SIZE, _ids(ct)
        )
        async for page, _ in pages:
            items.extend(orjson.loads(raw) for raw in page.items)
            lengths.append(len(page.items))
        requests = client.metrics.get("requests") - before
        found.append(VariantListing(items, requests, _cap(lengths)))
    return found


def _ids(ct: ContentType) -> Callable[[ListPage], list[str]]:
    def ids_of(page: ListPage) -> list[str]:
        return [i for raw in page.items if (i := item_id(ct, read_fields(raw))) is not None]

    return ids_of


def _cap(lengths: list[int]) -> int | None:
    """The server's cap on `limit`: the length of a page shorter than asked yet not the last."""
    short = [n for n in lengths[:-1] if n < ID_LISTING_PAGE_SIZE]
    return max(short) if short else None


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
                for item in variant.items
                for key in source.keys(parent, item)
            }
            if keys:  # a type that makes no request is not in a run's counts either
                predicted[ct.name] = len(keys)
        elif not source.paged:
            predicted[ct.name] = len(source.variants)
        else:
            size = min(page_size, source.page_size or page_size)  # as backup/pages.py pages it
            predicted[ct.name] = sum(_paged(v, size, ct) for v in listed[ct.name])
    return predicted


def _paged(listing: VariantListing, page_size: int, ct: ContentType) -> int:
    """One variant: its two id listings, the content pages up to the last, per-item fetches.

    Each id listing costs what the plan's own listing cost (it pages the same way); content
    pages step by the server's cap when it is below the page size (backup/pages.py).
    """
    n = len(listing.items)
    size = min(page_size, listing.cap or page_size)
    pages = max(n - 1, 0) // size + 1
    return 2 * listing.requests + pages + (n if ct.fetch_detail else 0)
