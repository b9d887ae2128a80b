"""List endpoints read page by page, several pages in flight, each committed with its checkpoint."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import anyio
from anyio.abc import TaskGroup

from lookervault.backup.budget import PageSlot
from lookervault.backup.checkpoint import Checkpoint, variant_key
from lookervault.backup.context import TypeJob
from lookervault.backup.details import fetch_details, retry_failed_items
from lookervault.backup.items import error_line, item_id, record
from lookervault.backup.listing import stop_forbidden, stop_type
from lookervault.backup.reconcile import Listing, ListingAfter, list_before, reconcile
from lookervault.backup.sizing import PageSizer, fetch_sized_page
from lookervault.content import ListSource
from lookervault.errors import (
    ApiError,
    ForbiddenError,
    NotFoundError,
    PagingError,
    PayloadShapeError,
)
from lookervault.looker.payload import read_fields
from lookervault.vault.records import Batch

__all__ = ["PageCursor", "back_up_list"]


class PageCursor:
    """Hands out page offsets to concurrent page workers until a short page marks the end."""

    def __init__(self, page_size: int, stop_after: int | None) -> None:
        self.page_size = page_size
        self._next = 0
        self._end = stop_after

    @property
    def upcoming(self) -> int:
        """The offset `next` hands out next (before the end is checked)."""
        return self._next

    def next(self) -> int | None:
        """The next offset to fetch; None once past the end."""
        if self._end is not None and self._next > self._end:
            return None
        offset = self._next
        self._next += self.page_size
        return offset

    def follow_cap(self, cap: int) -> None:
        """The server caps pages at `cap` items: step by that, right after the first page."""
        if 0 < cap < self.page_size and self._next == self.page_size:
            self.page_size = self._next = cap

    def pages_left(self) -> int | None:
        """How many pages remain when the end is known, else None."""
        if self._end is None:
            return None
        return max(self._end - self._next, -self.page_size) // self.page_size + 1

    def short_page_at(self, offset: int) -> None:
        """The page at `offset` is the last one (or comes after it)."""
        self._end = offset if self._end is None else min(self._end, offset)


@dataclass(frozen=True)
class _Page:
    """One request of a list: a variant's page at `offset`, or its only page (offset None)."""

    variant: Mapping[str, str]
    offset: int | None

    @property
    def checkpoint(self) -> Checkpoint:
        vkey = variant_key(self.variant)
        return Checkpoint.whole(vkey) if self.offset is None else Checkpoint.page(vkey, self.offset)


@dataclass(frozen=True)
class _ListJob:
    """One list type's paging: its job, its endpoint, and what earlier attempts committed."""

    job: TypeJob
    source: ListSource
    done: frozenset[Checkpoint]
    sizer: PageSizer
    senders: TaskGroup  # hands pages' batches to the writers while the workers go on

    @property
    def page_size(self) -> int:
        return self.sizer.largest

    def params(self, page: _Page) -> dict[str, Any]:
        params: dict[str, Any] = {**self.source.params, **page.variant}
        if page.offset is not None:
            params.update(limit=self.page_size, offset=page.offset)
            if self.source.sort:
                params["sorts"] = self.source.sort
        return params


async def back_up_list(job: TypeJob, source: ListSource) -> None:
    """Every item of a list type; paged types list their ids beside the pages, then reconcile."""
    largest = min(job.run.options.page_size, source.page_size or job.run.options.page_size)
    done = await job.done()
    await retry_failed_items(job)
    if source.paged and Checkpoint.reconcile() in done:
        return  # an earlier session of this run finished the type: a resume spends nothing on it
    async with anyio.create_task_group() as senders:
        pages = _ListJob(job, source, done, PageSizer(largest), senders)
        if not source.paged:
            async with anyio.create_task_group() as tg:
                for variant in source.variants:
                    tg.start_soon(_fetch_page, pages, _Page(variant, None))
            return
        # The id listing runs beside the first pages: it tells the page workers where to stop,
        # and reconciliation what to look for.
        listing = Listing()
        after = ListingAfter(job, source, listing.trail)
        async with anyio.create_task_group() as tg:
            tg.start_soon(list_before, job, source, listing)
            paged: list[anyio.Event] = []
            for variant in source.variants:
                paged.append(anyio.Event())
                tg.start_soon(_fetch_variant, pages, variant, listing, paged[-1])
            if job.ct.fetch_detail:
                tg.start_soon(_list_after_paging, job, listing, paged, after)
        # Every page is answered (its batch may still wait for a writer): the listing after
        # the pages goes now, beside the last commits, not after them.
        if listing.ok and not job.run.outcomes.stopped(job.name):
            await reconcile(job, source, after)


async def _list_after_paging(
    job: TypeJob, listing: Listing, paged: list[anyio.Event], after: ListingAfter
) -> None:
    """Items fetched by id: the listing after the pages goes once every page is answered.

    Their last page's items still take several round trips by id (behind other types' leaves):
    the listing goes beside them, not after them (one round trip less at the type's end,
    benchmark S2). It is still taken after paging: an item that answers 404 by id after it
    was listed is decided by a fresh listing, as any 404 still listed is (orphans.py).
    """
    await listing.ready.wait()
    for event in paged:
        await event.wait()
    if listing.ok and not job.run.outcomes.stopped(job.name):
        await after.take()


async def _fetch_variant(
    pages: _ListJob, variant: Mapping[str, str], listing: Listing, paged: anyio.Event
) -> None:
    """Page through one variant with several pages in flight, as far as the id listing counted.

    The first page goes out at once; other pages wait for the id listing, whose count says
    where paging stops (items added later are fetched by reconciliation), except pages the
    listing has already counted ids for, once the first page came back full: a listing of
    20,000 ids is twenty round trips, which the pages no longer wait out. A short page
    does not end paging: a first page shorter than the listing's count reveals a server that
    caps `limit`, and the offsets then step by that cap (what a capped page still leaves out,
    on a resumed run for one, is fetched by reconciliation). Without a count (the listing failed or was
    forbidden) the type or variant is stopped and nothing more is asked. `paged` is set once
    every page up to the listing's count is answered (their items may still be fetched by id).
    """
    vkey = variant_key(variant)
    job, size = pages.job, pages.page_size
    cursor = PageCursor(size, None)
    known, first_page = anyio.Event(), anyio.Event()
    first_length: list[int | None] = []
    asking = 0  # pages asked and not answered yet

    def check_paged() -> None:
        if known.is_set() and not asking and cursor.pages_left() == 0:
            paged.set()

    def asked() -> Callable[[], None]:
        """Count a page as asked; the answer (called once or more) counts it answered."""
        nonlocal asking
        asking += 1
        pending = [True]

        def answered() -> None:
            nonlocal asking
            if pending:
                pending.clear()
                asking -= 1
                check_paged()

        return answered

    async def learn_end() -> None:
        await listing.ready.wait()
        await first_page.wait()
        if listing.counts is not None or job.run.outcomes.stopped(job.name, vkey):
            expected = (listing.counts or {}).get(vkey, 0)
            got = first_length[0] if first_length else None
            if got is not None and got < expected:
                cursor.follow_cap(got)  # a short first page before the end: the server's cap
            cursor.short_page_at(max(expected - 1, 0) // cursor.page_size * cursor.page_size)
        elif first_length and (first_length[0] or 0) < size:
            cursor.short_page_at(0)
        # Else the listing failed on a fault retries did not fix (recorded): pages go on until
        # the first short or failed page, so every step either reads a full page or ends.
        known.set()
        listing.notify()
        check_paged()

    def counted_ahead() -> bool:
        """The next page is one whose ids the listing has counted, and no cap is in sight."""
        full = bool(first_length) and first_length[0] == size
        return full and cursor.upcoming < listing.listed.get(vkey, 0)

    async def my_turn() -> None:
        while not (known.is_set() or counted_ahead()):
            await listing.changed()

    async def worker(first: bool) -> None:
        if not first:
            await my_turn()
        while (offset := cursor.next()) is not None:
            if job.run.outcomes.stopped(job.name, vkey):
                break
            if Checkpoint.page(vkey, offset) not in pages.done:
                answered = asked()
                try:
                    length = await _fetch_page(pages, _Page(variant, offset), answered)
                finally:
                    answered()
                if offset == 0:
                    first_length.append(length)
                if listing.ready.is_set() and listing.counts is None and (length or 0) < size:
                    cursor.short_page_at(offset)
            if offset == 0:
                first_page.set()
                listing.notify()
            await my_turn()  # ahead of the listing: only pages it has counted
        first_page.set()
        listing.notify()
        check_paged()

    try:
        async with anyio.create_task_group() as tg:
            tg.start_soon(learn_end)
            for i in range(job.run.options.concurrency):
                tg.start_soon(worker, i == 0)
    finally:
        paged.set()


async def _fetch_page(
    pages: _ListJob, page: _Page, answered: Callable[[], None] = lambda: None
) -> int | None:
    """Fetch one page and send it as one batch; returns its length, None when it failed.

    `answered` is called once the page itself is answered, before its items are fetched by id.
    """
    if page.checkpoint in pages.done:
        return None
    slot = await pages.job.run.memory.hold(pages.job.name)
    try:
        return await _fetch_held(pages, page, slot, answered)
    finally:
        if not slot.handed_over:
            slot.release()


async def _fetch_held(
    pages: _ListJob, page: _Page, slot: PageSlot, answered: Callable[[], None]
) -> int | None:
    job, key = pages.job, page.checkpoint
    try:
        client, path, params = job.run.client, pages.source.path, pages.params(page)
        if page.offset is None:
            body = (await client.get_page(path, params)).items
        else:  # in chunks the sizer allows; a chunk longer than asked raises PagingError
            body = await fetch_sized_page(client, path, params, pages.sizer)
        answered()
        batch = await _page_batch(job, body, key)
    except ForbiddenError as exc:
        await stop_forbidden(job, pages.source, key.variant, exc)
        return None
    except (NotFoundError, PagingError) as exc:
        await stop_type(job, error_line(exc), key)
        return None
    except (ApiError, PayloadShapeError) as exc:
        failure = job.failure(key, error_line(exc))
        await job.send(Batch(job.run.run_id, failures=(failure,)), slot)
        return None
    if page.offset is not None and len(body) < pages.page_size:
        end = job.mark(Checkpoint.end(key.variant, page.offset))
        batch = dataclasses.replace(batch, checkpoints=(*batch.checkpoints, end))
    slot.resize(sum(len(item.content) for item in batch.items))
    job.send_soon(pages.senders, batch, slot)
    return len(body)


async def _page_batch(job: TypeJob, page: list[bytes], key: Checkpoint) -> Batch:
    ct = job.ct
    fields = [read_fields(item) for item in page]
    ids = [item_id(ct, f) for f in fields]
    if any(i is None for i in ids):
        raise PayloadShapeError(f"an item in the page has no {ct.id_key!r}")
    if isinstance(ct.source, ListSource):  # GET /dashboards lists more than LookML dashboards
        kept = [n for n, i in enumerate(ids) if i and ct.source.accepts(i)]
        page, fields, ids = (
            [page[n] for n in kept],
            [fields[n] for n in kept],
            [ids[n] for n in kept],
        )
    checkpoints = (job.mark(key),)
    if not ct.fetch_detail:
        items = tuple(
            record(ct, i, raw, f) for i, raw, f in zip(ids, page, fields, strict=True) if i
        )
        return Batch(job.run.run_id, items=items, checkpoints=checkpoints)
    # A 404 here is not "gone" yet: reconciliation fetches it again and asks the listing.
    items, failures, _ = await fetch_details(job, [i for i in ids if i])
    return Batch(job.run.run_id, items=items, checkpoints=checkpoints, failures=failures)
