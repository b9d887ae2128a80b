"""The extraction pipeline: async producers -> a bounded stream -> N SQLite writer threads.

One anyio task group owns everything. Producers (one per content type, each with several pages in
flight) fetch through the shared LookerClient and send `Batch`es into a memory object stream whose fixed
buffer is the backpressure. Exactly N writer threads, each owning one vault connection for its whole life,
pull batches through anyio's `from_thread` portal and commit each batch, with its checkpoints, in one
transaction. The event loop never touches SQLite except through `to_thread`; the writers never touch the
network. This is the only module that knows both the client and the vault.
"""

from __future__ import annotations

import functools
import logging
import signal
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import anyio
import anyio.to_thread
from anyio.abc import ObjectReceiveStream, ObjectSendStream

from lookervault import __version__, jsonio
from lookervault.backup.budget import ByteBudget
from lookervault.config import (
    DEFAULT_CONCURRENCY,
    DEFAULT_PAGE_SIZE,
    DEFAULT_WORKERS,
    ID_LISTING_PAGE_SIZE,
    PAGE_MEMORY_BUDGET_BYTES,
    STREAM_BATCHES_PER_WORKER,
)
from lookervault.content import (
    ChildSource,
    ContentType,
    ListSource,
    id_sort_key,
    resolve_content_types,
)
from lookervault.errors import ApiError, LookerVaultError, NotFoundError, PayloadShapeError
from lookervault.looker.client import LookerClient
from lookervault.looker.payload import (
    ItemFields,
    read_fields,
    split_document,
    split_page,
)
from lookervault.looker.throttle import AdaptiveLimiter
from lookervault.metrics import Metrics
from lookervault.progress import NullProgress, Progress
from lookervault.settings import ConnectionSettings
from lookervault.vault.ledger import AFTER, BEFORE, ListedIds
from lookervault.vault.records import Batch, Failure, ItemRecord
from lookervault.vault.store import Vault

__all__ = ["ExtractOptions", "ExtractResult", "extract"]

logger = logging.getLogger(__name__)

# (content type name, batch, the page slot it holds or None): the writer reports each commit.
_Queued = tuple[str, Batch, "_PageSlot | None"]
_Sender = ObjectSendStream[_Queued]

_RECONCILE_KEY = "reconcile"


@dataclass(frozen=True)
class ExtractOptions:
    """What to back up and how hard to push."""

    content_types: tuple[str, ...] = ()
    workers: int = DEFAULT_WORKERS
    concurrency: int = DEFAULT_CONCURRENCY
    page_size: int = DEFAULT_PAGE_SIZE
    rate_limit_per_second: float | None = None
    rate_limit_per_minute: float | None = None
    resume: bool = False

    def as_dict(self) -> dict[str, Any]:
        """The options as recorded in the vault's runs table (no secrets here)."""
        return {
            "content_types": list(self.content_types),
            "workers": self.workers,
            "concurrency": self.concurrency,
            "page_size": self.page_size,
            "rate_limit_per_second": self.rate_limit_per_second,
            "rate_limit_per_minute": self.rate_limit_per_minute,
            "resume": self.resume,
        }


@dataclass
class ExtractResult:
    """The outcome of one run, as `--json` prints it."""

    run_id: int
    status: str
    items: dict[str, int]
    failures: list[Failure]
    metrics: dict[str, int]
    elapsed_s: float

    def as_json(self) -> dict[str, Any]:
        """The one JSON object `extract --json` prints."""
        total = sum(self.items.values())
        return {
            "run_id": self.run_id,
            "status": self.status,
            "items": self.items,
            "errors": len(self.failures),
            "requests": self.metrics.get("requests", 0),
            "rate_limited": self.metrics.get("rate_limited", 0),
            "retries": self.metrics.get("retries", 0),
            "elapsed_s": round(self.elapsed_s, 3),
            "items_per_s": round(total / self.elapsed_s, 1) if self.elapsed_s > 0 else 0.0,
        }


@dataclass
class _TypeState:
    """Per-type bookkeeping: batches sent but not yet committed, and whether production ended."""

    pending: int = 0
    producing: bool = True
    idle: anyio.Event = field(default_factory=anyio.Event)
    finished: anyio.Event = field(default_factory=anyio.Event)

    def __post_init__(self) -> None:
        self.idle.set()  # nothing sent yet: nothing to wait for

    def sent(self) -> None:
        if self.pending == 0:
            self.idle = anyio.Event()
        self.pending += 1

    def committed(self) -> None:
        self.pending -= 1
        self._settle()

    def end(self) -> None:
        self.producing = False
        self._settle()

    def _settle(self) -> None:
        if self.pending == 0:
            self.idle.set()
            if not self.producing:
                self.finished.set()


class _PageCursor:
    """Hands out page offsets to concurrent page workers until a short page marks the end."""

    def __init__(self, page_size: int, stop_after: int | None) -> None:
        self.page_size = page_size
        self._next = 0
        self._end = stop_after

    def next(self) -> int | None:
        if self._end is not None and self._next > self._end:
            return None
        offset = self._next
        self._next += self.page_size
        return offset

    def pages_left(self) -> int | None:
        """How many pages remain when the end is known, else None."""
        if self._end is None:
            return None
        return max(self._end - self._next, -self.page_size) // self.page_size + 1

    def short_page_at(self, offset: int) -> None:
        self._end = offset if self._end is None else min(self._end, offset)


class _PageSlot:
    """A page slot and its bytes, held by a page from its request until its batch is committed."""

    def __init__(self, slots: anyio.Semaphore, budget: ByteBudget, reserved: int) -> None:
        self._slots = slots
        self._budget = budget
        self._bytes = reserved
        self._held = True
        self.handed_over = False  # True once the batch carrying it is in the stream

    def resize(self, actual: int) -> None:
        if self._held:
            self._budget.adjust(self._bytes, actual)
            self._bytes = actual

    def release(self) -> None:
        if self._held:
            self._held = False
            self._budget.release(self._bytes)
            self._slots.release()


@dataclass
class _Listing:
    """The first id listing of one content type, shared by its page workers."""

    counts: dict[str, int] | None = None  # ids listed per variant; None until (or unless) done
    ready: anyio.Event = field(default_factory=anyio.Event)

    @property
    def ok(self) -> bool:
        return self.counts is not None


def _variant_key(params: Mapping[str, str]) -> str:
    return "&".join(f"{k}={v}" for k, v in params.items()) or "all"


def _first(fields: ItemFields, names: Iterable[str | None]) -> str | None:
    for name in names:
        value = getattr(fields, name) if name else None
        if value is not None and not isinstance(value, dict | list):
            return str(value)
    return None


def _record(ct: ContentType, item_id: str, content: bytes, fields: ItemFields) -> ItemRecord:
    """An ItemRecord carrying the item's bytes untouched plus the metadata the registry names."""
    meta = ct.metadata
    return ItemRecord(
        content_type=ct.name,
        item_id=item_id,
        content=content,
        title=_first(fields, meta.title),
        folder_id=_first(fields, (meta.folder,)),
        owner_id=_first(fields, (meta.owner,)),
        created_at=_first(fields, (meta.created_at,)),
        updated_at=_first(fields, (meta.updated_at,)),
        deleted=fields.deleted is True,
    )


def _item_id(ct: ContentType, fields: ItemFields) -> str | None:
    value = getattr(fields, ct.id_key)
    if value is None or value == "" or isinstance(value, dict | list | bool):
        return None
    return str(value)


def _fields_of_any(content: bytes) -> ItemFields:
    """Fields of an object; none for other JSON (an access list is a list)."""
    try:
        return read_fields(content)
    except PayloadShapeError:
        return ItemFields()


def _check_child_shape(source: ChildSource, content: bytes) -> None:
    """A child answer must be what its source declares, every object in it carrying an id."""
    entries = split_page(content) if source.answer == "list" else [content]
    for entry in entries:
        if read_fields(entry).id in (None, ""):
            raise PayloadShapeError("expected JSON objects with an id")


def _error_line(exc: BaseException) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


class _Extraction:
    """One run of the pipeline against one client and one vault."""

    def __init__(
        self,
        client: LookerClient,
        vault: Vault,
        run_id: int,
        types: tuple[ContentType, ...],
        options: ExtractOptions,
        progress: Progress,
        ledger: ListedIds,
    ) -> None:
        self.client = client
        self.vault = vault
        self.ledger = ledger
        self.run_id = run_id
        self.types = types
        self.options = options
        self.progress = progress
        self.states = {ct.name: _TypeState() for ct in types}
        self._vault_lock = anyio.CapacityLimiter(
            1
        )  # the control connection is used by one thread at a time
        self._ledger_lock = anyio.CapacityLimiter(1)  # the ledger serializes calls anyway
        self._writer_threads = anyio.CapacityLimiter(options.workers)
        # Pages held in memory, from the request until their batch is committed, across all
        # types: without this bound pages would also pile up in the stream and the writers.
        self._page_slots = anyio.Semaphore(options.concurrency)
        self._page_bytes = ByteBudget(PAGE_MEMORY_BUDGET_BYTES)
        self._last_page_bytes: dict[str, int] = {}  # per type: what the next page reserves
        self.metrics = client.metrics
        self.handle_signals = False
        self.interrupted = False

    async def _vault(self, func: Any, *args: Any, **kwargs: Any) -> Any:
        call = functools.partial(func, *args, **kwargs)
        return await anyio.to_thread.run_sync(call, limiter=self._vault_lock)

    async def _ledger(self, func: Any, *args: Any) -> Any:
        return await anyio.to_thread.run_sync(func, *args, limiter=self._ledger_lock)

    # --- orchestration ------------------------------------------------------------------

    async def run(self) -> None:
        buffer = self.options.workers * STREAM_BATCHES_PER_WORKER
        send, receive = anyio.create_memory_object_stream[_Queued](max_buffer_size=buffer)
        async with anyio.create_task_group() as tg:
            for _ in range(self.options.workers):
                tg.start_soon(self._writer, receive.clone())
            receive.close()
            async with send, anyio.create_task_group() as producers:
                if self.handle_signals:
                    producers.start_soon(self._watch_signals, producers.cancel_scope)
                async with anyio.create_task_group() as work:
                    for ct in self.types:
                        work.start_soon(self._produce, ct, send.clone())
                producers.cancel_scope.cancel()  # stops the signal watcher

    async def _watch_signals(self, scope: anyio.CancelScope) -> None:
        """Ctrl-C / SIGTERM stop the producers; writers still commit what is already queued."""
        with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
            async for signum in signals:
                logger.warning("received %s: stopping after the batches in flight", signum.name)
                self.interrupted = True
                scope.cancel()
                return

    async def _send(
        self, send: _Sender, ct: ContentType, batch: Batch, slot: _PageSlot | None = None
    ) -> None:
        self.states[ct.name].sent()
        await send.send((ct.name, batch, slot))
        if slot is not None:
            slot.handed_over = True  # the writer releases it once the batch is committed

    # --- writers ------------------------------------------------------------------------

    async def _writer(self, receive: ObjectReceiveStream[_Queued]) -> None:
        async with receive:
            await anyio.to_thread.run_sync(self._write_loop, receive, limiter=self._writer_threads)

    def _write_loop(self, receive: ObjectReceiveStream[_Queued]) -> None:
        """Runs in one writer thread for the whole run, with its own connection."""
        with self.vault.writer() as writer:
            while True:
                try:
                    name, batch, slot = anyio.from_thread.run(receive.receive)
                except (anyio.EndOfStream, anyio.ClosedResourceError):
                    return
                writer.write(batch)
                anyio.from_thread.run_sync(self._committed, name, len(batch.items), slot)

    def _committed(self, name: str, items: int, slot: _PageSlot | None = None) -> None:
        if slot is not None:
            slot.release()
        self.metrics.add("batches")
        self.metrics.add("items", items)
        self.metrics.add(f"items:{name}", items)
        self.progress.advance(name, items)
        self.states[name].committed()

    # --- producers ----------------------------------------------------------------------

    async def _produce(self, ct: ContentType, send: _Sender) -> None:
        state = self.states[ct.name]
        async with send:
            try:
                if isinstance(ct.source, ChildSource):
                    await self._produce_children(ct, ct.source, send)
                else:
                    await self._produce_list(ct, ct.source, send)
            finally:
                state.end()
        await state.finished.wait()
        self.progress.finish(ct.name)

    async def _produce_list(self, ct: ContentType, source: ListSource, send: _Sender) -> None:
        done: set[str] = await self._vault(self.vault.checkpoints, self.run_id, ct.name)
        await self._retry_failed_items(ct, send)
        if not source.paged:
            async with anyio.create_task_group() as tg:
                for variant in source.variants:
                    tg.start_soon(self._fetch_page, ct, source, variant, None, done, send)
            return
        # The id listing runs beside the first pages: it tells the page workers where to stop,
        # and reconciliation what to look for.
        listing = _Listing()
        async with anyio.create_task_group() as tg:
            tg.start_soon(self._list_before, ct, source, listing, send)
            for variant in source.variants:
                tg.start_soon(self._fetch_pages, ct, source, variant, done, send, listing)
        if listing.ok:
            await self._reconcile(ct, source, send)

    async def _list_before(
        self, ct: ContentType, source: ListSource, listing: _Listing, send: _Sender
    ) -> None:
        try:
            listing.counts = await self._list_ids(ct, source, BEFORE, send)
        finally:
            listing.ready.set()
        if listing.ok:
            self.progress.add_total(ct.name, await self._ledger(self.ledger.count, ct.name))

    async def _fetch_pages(
        self,
        ct: ContentType,
        source: ListSource,
        variant: Mapping[str, str],
        done: set[str],
        send: _Sender,
        listing: _Listing,
    ) -> None:
        """Page through one variant with several pages in flight.

        The first page goes out at once; the other workers wait for the id listing, whose count
        says where paging stops (items added later are fetched by reconciliation), or for a
        short first page. Without a count, paging stops at the first short page. A resumed run
        also knows the short page an earlier attempt committed.
        """
        vkey = _variant_key(variant)
        page_size = self.options.page_size
        ends = [int(k.rsplit("=", 1)[1]) for k in done if k.startswith(f"{vkey}:end=")]
        cursor = _PageCursor(page_size, min(ends) if ends else None)
        known = anyio.Event()

        async def learn_end() -> None:
            await listing.ready.wait()
            if listing.counts is not None:
                expected = listing.counts.get(vkey, 0)
                cursor.short_page_at(max(expected - 1, 0) // page_size * page_size)
            known.set()

        async def worker(first: bool) -> None:
            if not first:
                await known.wait()
            while (offset := cursor.next()) is not None:
                if f"{vkey}:offset={offset}" in done:
                    continue
                count = await self._fetch_page(ct, source, variant, offset, done, send)
                if count is not None and count < page_size:
                    cursor.short_page_at(offset)
                    known.set()

        async with anyio.create_task_group() as tg:
            tg.start_soon(learn_end)
            for i in range(self.options.concurrency):
                tg.start_soon(worker, i == 0)

    async def _fetch_page(
        self,
        ct: ContentType,
        source: ListSource,
        variant: Mapping[str, str],
        offset: int | None,
        done: set[str],
        send: _Sender,
    ) -> int | None:
        """Fetch one page and send it as one batch; returns its length, None when it failed."""
        vkey = _variant_key(variant)
        key = f"{vkey}:all" if offset is None else f"{vkey}:offset={offset}"
        if key in done:
            return None
        reserved = self._last_page_bytes.get(ct.name, 0)
        await self._page_slots.acquire()
        try:
            await self._page_bytes.reserve(reserved)
        except BaseException:
            self._page_slots.release()
            raise
        slot = _PageSlot(self._page_slots, self._page_bytes, reserved)
        try:
            return await self._fetch_page_held(ct, source, variant, offset, key, send, slot)
        finally:
            if not slot.handed_over:
                slot.release()

    async def _fetch_page_held(
        self,
        ct: ContentType,
        source: ListSource,
        variant: Mapping[str, str],
        offset: int | None,
        key: str,
        send: _Sender,
        slot: _PageSlot,
    ) -> int | None:
        vkey = _variant_key(variant)
        params: dict[str, Any] = {**source.params, **variant}
        if offset is not None:
            params.update(limit=self.options.page_size, offset=offset)
            if source.sort:
                params["sorts"] = source.sort
        try:
            page = await self.client.get_decoded(source.path, params, decode=split_page)
            batch = await self._page_batch(ct, page, key)
        except (ApiError, PayloadShapeError) as exc:
            failure = Failure(ct.name, key, _error_line(exc))
            await self._send(send, ct, Batch(self.run_id, failures=(failure,)), slot)
            return None
        if offset is not None and len(page) < self.options.page_size:
            batch = Batch(
                batch.run_id,
                items=batch.items,
                checkpoints=(*batch.checkpoints, (ct.name, f"{vkey}:end={offset}")),
                failures=batch.failures,
                gone=batch.gone,
            )
        size = sum(len(item.content) for item in batch.items)
        self._last_page_bytes[ct.name] = size
        slot.resize(size)
        await self._send(send, ct, batch, slot)
        return len(page)

    async def _page_batch(self, ct: ContentType, page: list[bytes], key: str) -> Batch:
        fields = [read_fields(item) for item in page]
        ids = [_item_id(ct, f) for f in fields]
        if any(item_id is None for item_id in ids):
            raise PayloadShapeError(f"an item in the page has no {ct.id_key!r}")
        if not ct.fetch_detail:
            items = tuple(
                _record(ct, i, raw, f) for i, raw, f in zip(ids, page, fields, strict=True) if i
            )
            return Batch(self.run_id, items=items, checkpoints=((ct.name, key),))
        items, failures, gone = await self._fetch_details(ct, [i for i in ids if i])
        return Batch(
            self.run_id, items=items, checkpoints=((ct.name, key),), failures=failures, gone=gone
        )

    async def _fetch_details(
        self, ct: ContentType, ids: list[str]
    ) -> tuple[tuple[ItemRecord, ...], tuple[Failure, ...], tuple[tuple[str, str], ...]]:
        """Fetch every item by id, concurrently; the client caps requests in flight."""
        items: list[ItemRecord] = []
        failures: list[Failure] = []
        gone: list[tuple[str, str]] = []

        async def one(item_id: str) -> None:
            path = ct.item_path(quote(item_id, safe=""))
            assert path is not None  # only types with a get-by-id endpoint fetch per item
            try:
                content = await self.client.get_decoded(path, decode=split_document)
                fields = read_fields(content)
                if _item_id(ct, fields) != item_id:
                    raise PayloadShapeError(f"the answer's {ct.id_key!r} is not {item_id!r}")
            except NotFoundError:
                gone.append((ct.name, item_id))
            except (ApiError, PayloadShapeError) as exc:
                failures.append(Failure(ct.name, f"item:{item_id}", _error_line(exc)))
            else:
                items.append(_record(ct, item_id, content, fields))

        async with anyio.create_task_group() as tg:
            for item_id in ids:
                tg.start_soon(one, item_id)
        return tuple(items), tuple(failures), tuple(gone)

    async def _retry_failed_items(self, ct: ContentType, send: _Sender) -> None:
        """On resume, fetch again the single items an earlier attempt of this run failed on."""
        failed = await self._vault(self.vault.failures, self.run_id)
        ids = [
            f.key.removeprefix("item:")
            for f in failed
            if f.content_type == ct.name and f.key.startswith("item:")
        ]
        if not ids or ct.detail_path is None:
            return
        items, failures, gone = await self._fetch_details(ct, ids)
        fixed = {f"item:{r.item_id}" for r in items} | {f"item:{i}" for _, i in gone}
        checkpoints = tuple((ct.name, key) for key in sorted(fixed))
        await self._send(send, ct, Batch(self.run_id, items, checkpoints, failures, gone))

    # --- completeness -------------------------------------------------------------------

    async def _list_ids(
        self, ct: ContentType, source: ListSource, phase: str, send: _Sender
    ) -> dict[str, int] | None:
        """List every id the endpoint has now, per variant, through cheap `fields=<id>` pages.

        The ids go to the ledger; the answer is how many each variant listed (None: the listing
        failed, recorded as a failure that keeps the run from claiming completeness).
        """
        counts: dict[str, int] = {}
        try:
            for variant in source.variants:
                counts[_variant_key(variant)] = await self._list_variant_ids(
                    ct, source, variant, phase
                )
        except (ApiError, PayloadShapeError) as exc:
            failure = Failure(ct.name, _RECONCILE_KEY, f"cannot list ids: {_error_line(exc)}")
            await self._send(send, ct, Batch(self.run_id, failures=(failure,)))
            return None
        return counts

    async def _list_variant_ids(
        self, ct: ContentType, source: ListSource, variant: Mapping[str, str], phase: str
    ) -> int:
        count = 0
        offset = 0
        while True:
            params: dict[str, Any] = {**source.params, **variant, "fields": ct.id_key}
            params.update(limit=ID_LISTING_PAGE_SIZE, offset=offset)
            if source.sort:
                params["sorts"] = source.sort
            page = await self.client.get_decoded(source.path, params, decode=split_page)
            found = [_item_id(ct, read_fields(item)) for item in page]
            if None in found:
                # Skipping it would let reconciliation mark that item gone: a silent loss.
                raise PayloadShapeError(f"an item in the id listing has no {ct.id_key!r}")
            await self._ledger(self.ledger.add, ct.name, phase, found)
            count += len(found)
            if len(page) < ID_LISTING_PAGE_SIZE:
                return count
            offset += ID_LISTING_PAGE_SIZE

    async def _reconcile(self, ct: ContentType, source: ListSource, send: _Sender) -> None:
        """Fetch what paging missed while content moved; record what vanished during the run."""
        # The second listing needs no commits; the comparison needs them all.
        listed: list[dict[str, int] | None] = []

        async def list_after() -> None:
            listed.append(await self._list_ids(ct, source, AFTER, send))

        async with anyio.create_task_group() as tg:
            tg.start_soon(list_after)
            await self.states[ct.name].idle.wait()
        if listed[0] is None:
            return
        missing, vanished = await self._ledger(self.ledger.compare, ct.name, self.run_id)
        await self._ledger(self.ledger.forget, ct.name)
        missing.sort(key=id_sort_key)
        items, failures, gone = await self._fetch_details(ct, missing) if missing else ((), (), ())
        gone_ids = {*vanished, *(i for _, i in gone)}
        checkpoints: list[tuple[str, str]] = []
        if not failures:
            checkpoints.append((ct.name, _RECONCILE_KEY))
            # A page that failed is no longer a gap once every listed item is in the vault.
            failed = await self._vault(self.vault.failures, self.run_id)
            checkpoints += [(ct.name, f.key) for f in failed if f.content_type == ct.name]
        if missing or vanished:
            logger.info(
                "%s: reconciliation fetched %d missed items, %d gone during the run",
                ct.name,
                len(items),
                len(gone_ids),
            )
        batch = Batch(
            self.run_id,
            items=items,
            checkpoints=tuple(checkpoints),
            failures=failures,
            gone=tuple((ct.name, i) for i in sorted(gone_ids)),
        )
        await self._send(send, ct, batch)

    # --- child types ----------------------------------------------------------------------

    async def _produce_children(self, ct: ContentType, source: ChildSource, send: _Sender) -> None:
        for parent in source.parents:
            await self.states[parent].finished.wait()
        done: set[str] = await self._vault(self.vault.checkpoints, self.run_id, ct.name)
        keys = await self._vault(self._child_keys, source)
        todo = [k for k in keys if f"child:{'::'.join(k)}" not in done]
        self.progress.add_total(ct.name, len(keys))
        limiter = anyio.CapacityLimiter(self.options.concurrency)

        async def one(key: tuple[str, ...]) -> None:
            async with limiter:
                await self._fetch_child(ct, source, key, send)

        async with anyio.create_task_group() as tg:
            for key in todo:
                tg.start_soon(one, key)

    def _child_keys(self, source: ChildSource) -> list[tuple[str, ...]]:
        """Keys of the child requests, read from the parents this run stored (runs in a thread)."""
        keys: dict[tuple[str, ...], None] = {}
        for parent in source.parents:
            for _, _, content in self.vault.iter_items([parent], run_id=self.run_id):
                keys.update(dict.fromkeys(source.keys(parent, jsonio.loads(content))))
        return list(keys)

    async def _fetch_child(
        self, ct: ContentType, source: ChildSource, key: tuple[str, ...], send: _Sender
    ) -> None:
        ckey = f"child:{'::'.join(key)}"
        path = source.path.format(*(quote(part, safe="") for part in key))
        try:
            content = await self.client.get_decoded(path, source.params(key), decode=split_document)
            _check_child_shape(source, content)
        except NotFoundError:
            batch = Batch(
                self.run_id,
                checkpoints=((ct.name, ckey),),
                gone=((ct.name, source.item_id(key, None)),),
            )
        except (ApiError, PayloadShapeError) as exc:
            batch = Batch(self.run_id, failures=(Failure(ct.name, ckey, _error_line(exc)),))
        else:
            fields = _fields_of_any(content)
            record = _record(ct, source.item_id(key, fields), content, fields)
            batch = Batch(self.run_id, items=(record,), checkpoints=((ct.name, ckey),))
        await self._send(send, ct, batch)

    # --- the end ----------------------------------------------------------------------------

    async def close_out(self) -> list[Failure]:
        """Mark items deleted from Looker since earlier runs as gone, for every type fetched in full."""
        failures: list[Failure] = await self._vault(self.vault.failures, self.run_id)
        incomplete = {f.content_type for f in failures}
        if self.interrupted:
            return failures
        for ct in self.types:
            if ct.name not in incomplete:
                await self._vault(self.vault.mark_unseen_gone, self.run_id, ct.name)
        return failures


def _first_leaf(group: BaseExceptionGroup) -> BaseException:
    """The first real error inside nested task-group exception groups."""
    first = group.exceptions[0]
    return _first_leaf(first) if isinstance(first, BaseExceptionGroup) else first


async def extract(
    settings: ConnectionSettings,
    vault: Vault,
    options: ExtractOptions,
    *,
    progress: Progress | None = None,
    transport: Any = None,
    handle_signals: bool = False,
) -> ExtractResult:
    """Back up the content types in `options` from the Looker at `settings` into `vault`.

    Raises:
        LookerVaultError: connection, authentication or vault problems that stop the run.
    """
    types = resolve_content_types(options.content_types)
    metrics = Metrics()
    limiter = AdaptiveLimiter(
        per_second=options.rate_limit_per_second, per_minute=options.rate_limit_per_minute
    )
    progress = progress or NullProgress()
    client = LookerClient(
        settings,
        concurrency=options.concurrency,
        limiter=limiter,
        metrics=metrics,
        transport=transport,
    )
    try:
        async with client:
            versions = await client.versions()
            run_id = await _open_run(vault, settings, options, versions)
            status, failures = "failed", []
            try:
                with ListedIds(vault.path) as ledger:
                    job = _Extraction(client, vault, run_id, types, options, progress, ledger)
                    job.handle_signals = handle_signals
                    status, failures = await _run_job(job)
            finally:
                counts = {ct.name: vault.count_items(ct.name, run_id=run_id) for ct in types}
                stats = {**metrics.snapshot(), "elapsed_s": round(metrics.elapsed(), 3)}
                with anyio.CancelScope(shield=True):
                    await anyio.to_thread.run_sync(
                        lambda: vault.finish_run(run_id, status=status, counts=counts, stats=stats)
                    )
    finally:
        progress.close()
    return ExtractResult(run_id, status, counts, failures, metrics.snapshot(), metrics.elapsed())


async def _run_job(job: _Extraction) -> tuple[str, list[Failure]]:
    """Run the pipeline; the status and the failures still outstanding."""
    try:
        await job.run()
    except* LookerVaultError as group:
        raise _first_leaf(group) from None
    failures = await job.close_out()
    status = "interrupted" if job.interrupted else ("partial" if failures else "complete")
    return status, failures


async def _open_run(
    vault: Vault, settings: ConnectionSettings, options: ExtractOptions, versions: Any
) -> int:
    if options.resume:
        run_id = vault.resumable_run()
        if run_id is not None:
            vault.reopen_run(run_id)
            logger.info("resuming run %d", run_id)
            return run_id
        logger.info("nothing to resume: starting a new run")
    current = versions.get("current_version") or {} if isinstance(versions, dict) else {}
    return vault.start_run(
        options=options.as_dict(),
        looker_url=settings.base_url,
        looker_release=versions.get("looker_release_version")
        if isinstance(versions, dict)
        else None,
        api_version=current.get("version"),
        tool_version=__version__,
    )
