"""Items fetched one by one by id, for types whose list answers are summaries and for retries."""

from __future__ import annotations

from typing import NamedTuple
from urllib.parse import quote

import anyio

from lookervault.backup.checkpoint import Checkpoint, CheckpointKind
from lookervault.backup.context import TypeJob
from lookervault.backup.items import error_line, item_id, record
from lookervault.errors import ApiError, NotFoundError, PayloadShapeError
from lookervault.looker.payload import read_fields, split_document
from lookervault.looker.priority import as_leaves
from lookervault.vault.records import Batch, Failure, ItemRecord

__all__ = ["Details", "fetch_details", "retry_failed_items"]


class Details(NamedTuple):
    """What fetching items by id gave: the items, the failures, and (type, id) of those 404."""

    items: tuple[ItemRecord, ...] = ()
    failures: tuple[Failure, ...] = ()
    gone: tuple[tuple[str, str], ...] = ()


async def fetch_details(job: TypeJob, ids: list[str]) -> Details:
    """Fetch every item by id, as many at once as the client lets requests be in flight.

    A type's pages take turns: the next page's items are asked once this page's are all
    asked, so pages finish (and are committed) one after the other, not all together at the
    type's end, where their commits stood between the last answer and the logout (S2).
    """
    if not ids:
        return Details()
    ct = job.ct
    items: list[ItemRecord] = []
    failures: list[Failure] = []
    gone: list[tuple[str, str]] = []

    async def one(wanted: str) -> None:
        path = ct.item_path(quote(wanted, safe=""))
        assert path is not None  # only types with a get-by-id endpoint fetch per item
        try:
            content = await job.run.client.get_decoded(path, decode=split_document)
            fields = read_fields(content)
            if item_id(ct, fields) != wanted:
                raise PayloadShapeError(f"the answer's {ct.id_key!r} is not {wanted!r}")
        except NotFoundError:
            gone.append((ct.name, wanted))
        except (ApiError, PayloadShapeError) as exc:
            failures.append(job.failure(Checkpoint.item(wanted), error_line(exc)))
        else:
            items.append(record(ct, wanted, content, fields))

    todo = iter(ids)
    handed_out = anyio.Event()

    async def worker() -> None:
        for wanted in todo:
            await one(wanted)
        handed_out.set()

    # As many workers as the client has requests in flight, not a task per id: a page of looks
    # started a hundred tasks that mostly waited for a slot (task spawning was 3 % of S1's CPU).
    workers = min(len(ids), job.run.client.concurrency)
    with as_leaves():  # one item each: the pages and listings of other types go first
        async with anyio.create_task_group() as tg:
            async with job.state.details_turn:
                for _ in range(workers):
                    tg.start_soon(worker)
                await handed_out.wait()
    return Details(tuple(items), tuple(failures), tuple(gone))


async def retry_failed_items(job: TypeJob) -> None:
    """On resume, fetch again the single items an earlier attempt of this run failed on."""
    if not job.run.options.resume:  # a new run has no earlier attempt
        return
    keys = [Checkpoint.decode(f.key) for f in await job.failures()]
    ids = [key.item_id for key in keys if key.kind is CheckpointKind.ITEM]
    if not ids or job.ct.detail_path is None:
        return
    items, failures, not_found = await fetch_details(job, ids)
    # A 404 is settled by reconciliation (gone only if no longer listed), not here.
    fixed = {Checkpoint.item(r.item_id).encode() for r in items}
    fixed |= {Checkpoint.item(i).encode() for _, i in not_found}
    checkpoints = tuple((job.name, key) for key in sorted(fixed))
    await job.send(Batch(job.run.run_id, items, checkpoints, failures))
