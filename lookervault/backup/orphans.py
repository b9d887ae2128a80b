"""What a 404 on one item means: gone only when Looker no longer lists it.

On a real Looker 404 means "does not exist, or you may not see it" (Looker's troubleshooting
page). An item that answered 404 is marked gone only when it is also absent from an id
listing taken after paging (for a child, when its parent answers 404 too); otherwise the
404 is a named, resumable failure, so a permission change never deletes a backup's items.
"""

from __future__ import annotations

import logging
from urllib.parse import quote

from lookervault.backup.checkpoint import Checkpoint
from lookervault.backup.context import TypeJob
from lookervault.backup.details import Details, fetch_details
from lookervault.backup.listing import list_ids
from lookervault.backup.shrink import shrinking
from lookervault.content import ListSource, content_type, id_sort_key
from lookervault.errors import ApiError, NotFoundError
from lookervault.looker.payload import split_document
from lookervault.vault.ledger import AFTER, RECHECK
from lookervault.vault.records import Failure

__all__ = ["check_unlisted", "parent_gone", "settle_not_found"]

logger = logging.getLogger(__name__)

_STILL_LISTED = "Looker answered 404 but still lists it (not visible to this API user?)"


async def settle_not_found(
    job: TypeJob, source: ListSource, ids: list[str]
) -> tuple[list[str], tuple[Failure, ...]]:
    """Of items that answered 404: those gone, and a failure for each Looker still lists.

    Ids the listing after paging no longer had are gone; for the others a fresh id listing
    decides (one listing, only when some are left to decide).
    """
    if not ids:
        return [], ()
    ledger = job.run.ledger
    listed_after = await job.run.in_ledger(ledger.listed_in, job.name, AFTER, ids)
    gone = [i for i in ids if i not in listed_after]
    suspects = [i for i in ids if i in listed_after]
    if not suspects:
        return gone, ()
    still: set[str] = set(suspects)
    if await list_ids(job, source, RECHECK) is not None:
        still = await job.run.in_ledger(ledger.listed_in, job.name, RECHECK, suspects)
    gone += [i for i in suspects if i not in still]
    if still:
        logger.warning("%s: %d items answered 404 but are still listed", job.name, len(still))
    failures = tuple(job.failure(Checkpoint.item(i), _STILL_LISTED) for i in sorted(still))
    return gone, failures


async def check_unlisted(job: TypeJob, vanished: list[str], skip: set[str], listed: int) -> Details:
    """Fetch by id every item the listing after paging left out, before anything is marked gone.

    A page that shifted under a listing (content moving between pages, a server's cap) can
    leave out an item that still exists. So the items this run stored that the listing no
    longer had (`vanished`), and the vault's items this run has not seen, are asked for one
    by one: an answer is stored, a 404 confirms the listing (gone for a vanished item; an
    unseen one is marked gone at the close-out, if the shrink guard allows), anything else
    is a failure. None of this costs a request when nothing was deleted, and unseen items
    are not asked for when the listing (`listed` ids) shrank past the shrink guard: they are
    kept anyway, and a permission change must not cost one request per hidden item.
    """
    run = job.run
    failed = {f.key for f in await job.failures()}
    unseen: list[str] = []
    # Otherwise unseen items stay as they are anyway: no need to ask for them (nor in a
    # limited run or a type read in part on purpose, which mark nothing unseen gone).
    may_mark = not run.limited and job.name not in run.partly_listed
    if (
        may_mark
        and run.outcomes.may_mark_gone(job.name)
        and not await shrinking(run, job.name, listed)
    ):
        unseen = await run.in_vault(run.vault.unseen_ids, run.run_id, job.name)
    wanted = {*vanished, *unseen} - skip
    ids = sorted((i for i in wanted if Checkpoint.item(i).encode() not in failed), key=id_sort_key)
    if not ids:
        return Details()
    checked = await fetch_details(job, ids)
    if checked.items:
        logger.info(
            "%s: %d items left out by the listing still exist", job.name, len(checked.items)
        )
    return checked


async def parent_gone(job: TypeJob, parent: tuple[str, str] | None) -> bool:
    """Whether the parent item a child came from answers 404 too (then the child is gone)."""
    if parent is None:
        return False
    parent_type, parent_id = parent
    path = content_type(parent_type).item_path(quote(parent_id, safe=""))
    if path is None:
        return False
    try:
        await job.run.client.get_decoded(path, decode=split_document)
    except NotFoundError:
        return True
    except ApiError:
        return False
    return False
