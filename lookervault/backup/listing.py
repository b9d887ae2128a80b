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
from collections.abc import Mapping
from functools import partial
from typing import Any

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


async def list_ids(job: TypeJob, source: ListSource, phase: str) -> dict[str, int] | None:
    """List every id the endpoint has now, per variant, into the ledger.

    The answer is how many ids each readable variant listed (a forbidden variant is left out);
    None when the type cannot be listed: it is then stopped, with one recorded outcome.
    """
    counts: dict[str, int] = {}
    for variant in source.variants:
        vkey = variant_key(variant)
        if job.run.outcomes.stopped(job.name, vkey):
            continue
        try:
            counts[vkey] = await list_variant_ids(job, source, variant, phase)
        except ForbiddenError as exc:
            await stop_forbidden(job, source, vkey, exc)
        except (NotFoundError, PagingError) as exc:
            await stop_type(job, f"cannot list ids: {error_line(exc)}")
            return None
        except (ApiError, PayloadShapeError) as exc:
            # A fault retries did not fix: recorded (no item is marked gone), paging goes on.
            reason = f"cannot list ids: {error_line(exc)}"
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
    job: TypeJob, source: ListSource, variant: Mapping[str, str], phase: str
) -> int:
    """Page through one variant's ids (`fields=<id>`) until the server confirms the end.

    Raises:
        PagingError: limit ignored, a page repeated, or no end in sight.
    """
    params: dict[str, Any] = {**source.params, **variant, "fields": job.ct.id_key}
    if source.sort:
        params["sorts"] = source.sort
    count = 0
    get_page = job.run.client.get_page
    ids_of = partial(_ids, job)
    async for _, ids in confirmed_pages(
        get_page, source.path, params, ID_LISTING_PAGE_SIZE, ids_of
    ):
        await job.run.in_ledger(job.run.ledger.add, job.name, phase, ids)
        count += len(ids)
    return count


def _ids(job: TypeJob, page: ListPage) -> list[str]:
    found = [item_id(job.ct, read_fields(item)) for item in page.items]
    ids = [i for i in found if i is not None]
    if len(ids) != len(found):
        # Skipping it would let reconciliation mark that item gone: a silent loss.
        raise PayloadShapeError(f"an item in the id listing has no {job.ct.id_key!r}")
    return ids
