"""Id listings and reconciliation, so content that moves while pages are read is neither missed nor kept."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import anyio

from lookervault.backup.checkpoint import Checkpoint
from lookervault.backup.context import TypeJob
from lookervault.backup.details import Details, fetch_details
from lookervault.backup.listing import list_ids
from lookervault.backup.orphans import check_unlisted, settle_not_found
from lookervault.content import ListSource, id_sort_key
from lookervault.vault.ledger import AFTER, BEFORE
from lookervault.vault.records import Batch

__all__ = ["Listing", "ListingAfter", "list_before", "reconcile"]

logger = logging.getLogger(__name__)


@dataclass
class Listing:
    """The first id listing of one content type, shared by its page workers."""

    counts: dict[str, int] | None = None  # ids listed per variant; None until (or unless) done
    ready: anyio.Event = field(default_factory=anyio.Event)
    listed: dict[str, int] = field(default_factory=dict)  # ids counted so far, per variant
    trail: dict[str, list[int]] = field(default_factory=dict)  # offsets read, per variant
    _changed: anyio.Event = field(default_factory=anyio.Event)

    def progressed(self, vkey: str, count: int) -> None:
        """The variant's listing has counted `count` ids so far."""
        self.listed[vkey] = count
        self.notify()

    def notify(self) -> None:
        """Wake the page workers waiting for the listing (or for their variant's first page)."""
        self._changed.set()
        self._changed = anyio.Event()

    async def changed(self) -> None:
        """Wait for the next `notify`."""
        await self._changed.wait()

    @property
    def ok(self) -> bool:
        """The listing finished and counted every variant."""
        return self.counts is not None


async def list_before(job: TypeJob, source: ListSource, listing: Listing) -> None:
    """The listing made beside the first pages: where paging stops, and the progress total."""
    try:
        listing.counts = await list_ids(job, source, BEFORE, listing.progressed, listing.trail)
    finally:
        listing.ready.set()
        listing.notify()
    if listing.ok:
        total = await job.run.in_ledger(job.run.ledger.count, job.name)
        job.run.progress.add_total(job.name, total)


class ListingAfter:
    """The id listing after the pages, taken once: by whoever asks first, the others wait for it.

    A type whose items are fetched one by one asks for it as soon as its last page is answered,
    beside those fetches (`pages.py`): it is then no round trip of its own at the type's end.
    `trail`: the offsets the first listing read, which this one asks at once.
    """

    def __init__(
        self, job: TypeJob, source: ListSource, trail: dict[str, list[int]] | None = None
    ) -> None:
        self._job, self._source, self._trail = job, source, trail
        self._asked = False
        self._done = anyio.Event()
        self.counts: dict[str, int] | None = None

    async def take(self) -> None:
        """List the ids now, unless already asked (then wait for that listing)."""
        if self._asked:
            await self._done.wait()
            return
        self._asked = True
        try:
            self.counts = await list_ids(self._job, self._source, AFTER, trail=self._trail)
        finally:
            self._done.set()


async def reconcile(job: TypeJob, source: ListSource, after: ListingAfter) -> None:
    """Fetch what paging missed while content moved; record what vanished during the run."""
    # The second listing needs no commits; the comparison needs them all.
    async with anyio.create_task_group() as tg:
        tg.start_soon(after.take)
        await job.state.idle.wait()
    counts = after.counts
    if counts is None:
        return
    ledger = job.run.ledger
    missing, vanished = await job.run.in_ledger(ledger.compare, job.name, job.run.run_id)
    missing.sort(key=id_sort_key)
    details = await fetch_details(job, missing) if missing else Details()
    not_found, recheck_failures = await settle_not_found(job, source, [i for _, i in details.gone])
    await job.run.in_ledger(ledger.forget, job.name)
    listed = sum(counts.values())
    unlisted = await check_unlisted(job, vanished, {*missing, *not_found}, listed)
    details = Details(
        (*details.items, *unlisted.items),
        (*details.failures, *recheck_failures, *unlisted.failures),
    )
    gone_ids = {*not_found, *(i for _, i in unlisted.gone if i in set(vanished))}
    if missing or vanished:
        logger.info(
            "%s: reconciliation fetched %d missed items, %d gone during the run",
            job.name,
            len(details.items),
            len(gone_ids),
        )
    batch = Batch(
        job.run.run_id,
        items=details.items,
        checkpoints=await _settled(job, details),
        failures=details.failures,
        gone=tuple((job.name, i) for i in sorted(gone_ids)),
    )
    await job.send(batch)


async def _settled(job: TypeJob, details: Details) -> tuple[tuple[str, str], ...]:
    """Checkpoints of a reconciliation that fetched every missed item: itself and failed pages."""
    if details.failures:
        return ()
    # A page that failed is no longer a gap once every listed item is in the vault.
    failed = await job.failures()
    return (job.mark(Checkpoint.reconcile()), *((job.name, f.key) for f in failed))
