"""Id listings that follow the server's paging instead of trusting it.

The API description documents no maximum `limit`, and a real Looker (or a proxy) may cap it
lower, ignore it, or repeat a page. A short page therefore ends a listing only when the next
offset answers an empty page or X-Total-Count agrees; offsets advance by what the server sent.
A page longer than the limit asked, the same ids on consecutive pages (after a few retries) or
more ids than MAX_LISTED_ITEMS fail the type with a PagingError, so no loop is unbounded.
A 403 skips the type (or only the variant, such as the trash, when others can be read).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

import anyio

from lookervault.backup.ahead import PagesAhead
from lookervault.backup.checkpoint import Checkpoint, variant_key
from lookervault.backup.context import TypeJob
from lookervault.backup.items import error_line, item_id
from lookervault.backup.outcomes import FORBIDDEN
from lookervault.config import ID_LISTING_PAGE_SIZE
from lookervault.content import ListSource
from lookervault.errors import (
    ApiError,
    ForbiddenError,
    NotFoundError,
    PagingError,
    PayloadShapeError,
)
from lookervault.looker.listing import ListPage, confirmed_pages
from lookervault.looker.payload import read_fields
from lookervault.vault.records import Batch

__all__ = ["list_ids", "stop_forbidden", "stop_type"]

logger = logging.getLogger(__name__)

Progressed = Callable[[str, int], None]  # (variant key, ids listed so far)


async def list_ids(
    job: TypeJob,
    source: ListSource,
    phase: str,
    progressed: Progressed | None = None,
    trail: dict[str, list[int]] | None = None,
) -> dict[str, int] | None:
    """List every id the endpoint has now, per variant, into the ledger.

    The variants (live and trash) are listed at once, each page after page: a listing is a
    chain of round trips, and at 100 ms each the chains, not the slots, set a type's pace.
    Their outcomes are then taken in variant order, as if listed one after the other.
    `progressed(variant key, ids so far)` hears of every page after the first (one that repeats
    no ids: offsets are honoured). `trail` holds, per variant, the offsets an earlier listing
    read: those pages are asked at once; it is updated with this listing's. The answer is how many ids each
    readable variant listed (a forbidden variant is left out);
    None when the type cannot be listed: it is then stopped, with one recorded outcome.
    """
    wanted = [
        (variant_key(v), v)
        for v in source.variants
        if not job.run.outcomes.stopped(job.name, variant_key(v))
    ]
    answers: dict[str, int | Exception] = {}

    async def one(vkey: str, variant: Mapping[str, str]) -> None:
        try:
            offsets = None if trail is None else trail.setdefault(vkey, [])
            answers[vkey] = await list_variant_ids(job, source, variant, phase, progressed, offsets)
        except (ApiError, PagingError, PayloadShapeError) as exc:
            answers[vkey] = exc

    async with anyio.create_task_group() as tg:
        for vkey, variant in wanted:
            tg.start_soon(one, vkey, variant)
    counts: dict[str, int] = {}
    for vkey, _ in wanted:
        answer = answers[vkey]
        if isinstance(answer, int):
            counts[vkey] = answer
        elif isinstance(answer, ForbiddenError):
            await stop_forbidden(job, source, vkey, answer)
        elif isinstance(answer, NotFoundError | PagingError):
            await stop_type(job, f"cannot list ids: {error_line(answer)}")
            return None
        else:
            # A fault retries did not fix: recorded (no item is marked gone), paging goes on.
            reason = f"cannot list ids: {error_line(answer)}"
            failure = job.failure(Checkpoint.reconcile(), reason)
            await job.send(Batch(job.run.run_id, failures=(failure,)))
            return None
    if job.run.outcomes.stopped(job.name):
        return None
    return counts


async def stop_forbidden(job: TypeJob, source: ListSource, vkey: str, exc: ApiError) -> None:
    """A 403: skip the variant when the type has others, else the whole type."""
    outcomes = job.run.outcomes
    if len(source.variants) > 1:
        if vkey not in outcomes.of(job.name).skipped_variants:
            logger.warning("%s: %s may not be read, skipped: %s", job.name, vkey, error_line(exc))
        outcomes.skip_variant(job.name, vkey, error_line(exc))
        if len(outcomes.of(job.name).skipped_variants) < len(source.variants):
            return
    if outcomes.skip(job.name, FORBIDDEN, error_line(exc)):
        logger.warning("%s: skipped, the API user may not read it: %s", job.name, error_line(exc))


async def stop_type(job: TypeJob, reason: str, key: Checkpoint | None = None) -> None:
    """Stop the type at once with one recorded failure under `key` (the first stop wins).

    The key is the request that failed: a page, or by default the id listing.
    """
    if job.run.outcomes.fail(job.name, reason):
        logger.warning("%s: stopped: %s", job.name, reason)
        failure = job.failure(key or Checkpoint.reconcile(), reason)
        await job.send(Batch(job.run.run_id, failures=(failure,)))


async def list_variant_ids(
    job: TypeJob,
    source: ListSource,
    variant: Mapping[str, str],
    phase: str,
    progressed: Progressed | None = None,
    trail: list[int] | None = None,
) -> int:
    """Page through one variant's ids (`fields=<id>`) until the server confirms the end.

    With a `trail` (the offsets an earlier listing of the variant read), those pages are asked at
    once (backup/ahead.py) and read in order, each checked as if asked alone; the trail then
    holds the offsets this listing read.

    Raises:
        PagingError: limit ignored, a page repeated, or no end in sight.
    """
    params: dict[str, Any] = {**source.params, **variant, "fields": job.ct.id_key}
    if source.sort:
        params["sorts"] = source.sort

    async def fetch(offset: int) -> ListPage:
        asked = {**params, "limit": ID_LISTING_PAGE_SIZE, "offset": offset}
        return await job.run.client.get_page(source.path, asked)

    outcome: int | Exception = 0
    async with anyio.create_task_group() as tg:
        ahead = PagesAhead(tg, fetch)
        if trail:
            ahead.ask([o for o in trail if o > 0][: job.run.options.concurrency])
        try:
            outcome = await _list_pages(
                job, source, params, variant_key(variant), phase, progressed, ahead, trail
            )
        except Exception as exc:  # raised below as itself, not in a task group's error group
            outcome = exc
        finally:
            tg.cancel_scope.cancel()  # pages asked ahead that the listing never reached
    if isinstance(outcome, Exception):
        raise outcome
    return outcome


async def _list_pages(
    job: TypeJob,
    source: ListSource,
    params: dict[str, Any],
    vkey: str,
    phase: str,
    progressed: Progressed | None,
    ahead: PagesAhead,
    trail: list[int] | None,
) -> int:
    read: list[int] = []

    async def get_page(path: str, asked: dict[str, Any]) -> ListPage:
        offset = int(asked["offset"])
        if not read or read[-1] != offset:
            read.append(offset)
        return await ahead.page_at(offset)  # asked ahead at most once, then afresh

    count, pages = 0, 0
    ids_of = partial(_ids, job)
    async for _, ids in confirmed_pages(
        get_page, source.path, params, ID_LISTING_PAGE_SIZE, ids_of
    ):
        await job.run.in_ledger(job.run.ledger.add, job.name, phase, ids)
        count, pages = count + len(ids), pages + 1
        if progressed is not None and pages > 1:  # a second page: the server honours offset
            progressed(vkey, count)
    if trail is not None:
        trail[:] = read
    return count


def _ids(job: TypeJob, page: ListPage) -> list[str]:
    found = [item_id(job.ct, read_fields(item)) for item in page.items]
    ids = [i for i in found if i is not None]
    if len(ids) != len(found):
        # Skipping it would let reconciliation mark that item gone: a silent loss.
        raise PayloadShapeError(f"an item in the id listing has no {job.ct.id_key!r}")
    return ids
