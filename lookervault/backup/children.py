"""Child types, read once their parents are committed: one request per key found in the parents."""

from __future__ import annotations

import logging
from urllib.parse import quote

import anyio

from lookervault import jsonio
from lookervault.backup.checkpoint import Checkpoint
from lookervault.backup.context import RunContext, TypeJob
from lookervault.backup.items import error_line, record
from lookervault.backup.orphans import parent_gone
from lookervault.backup.outcomes import FORBIDDEN
from lookervault.backup.slow import child_timeout, in_flight
from lookervault.config import CHILD_ANSWERS_HELD_PER_REQUEST
from lookervault.content import ChildSource
from lookervault.errors import ApiError, ForbiddenError, NotFoundError, PayloadShapeError
from lookervault.looker.deadline import request_timeout
from lookervault.looker.payload import ItemFields, read_fields, split_document, split_page
from lookervault.metrics import UNAVAILABLE_PREFIX
from lookervault.vault.records import Batch

__all__ = ["back_up_children"]

_Parent = tuple[str, str]  # (parent content type, parent id)

logger = logging.getLogger(__name__)


async def back_up_children(job: TypeJob, source: ChildSource) -> None:
    """Every child of the items the parent types stored in this run, a few requests at a time."""
    for parent in source.parents:
        await job.run.states[parent].finished.wait()
    done = await job.done()
    parents = await job.run.in_vault(_child_keys, job.run, source)
    keys = list(parents)
    todo = [k for k in keys if Checkpoint.child(k) not in done]
    if source.not_found == "unavailable" and len(todo) < len(keys):  # a resumed run
        await _recall_unavailable(job, source, [k for k in keys if k not in set(todo)])
    job.run.progress.add_total(job.name, len(keys))
    requests = in_flight(job.run.options, job.name, source)
    limiter = anyio.CapacityLimiter(requests)
    timeout = child_timeout(job.run.options, job.name, source)
    pending = iter(todo)

    async def worker() -> None:
        for key in pending:  # shared: each key is taken by one worker
            async with limiter:  # bounds requests in flight, not batches waiting for a writer
                if job.run.outcomes.stopped(job.name):
                    return
                with request_timeout(timeout):
                    batch = await _fetch_child(job, source, key, parents[key])
            if batch is not None:
                await job.send(batch)

    # A worker holds at most one batch: answers waiting for the writers are bounded (a task per
    # key held every answer of a type whose writes lagged, 80 MB more peak RSS on preset M).
    async with anyio.create_task_group() as tg:
        for _ in range(min(len(todo), requests * CHILD_ANSWERS_HELD_PER_REQUEST)):
            tg.start_soon(worker)


async def _recall_unavailable(
    job: TypeJob, source: ChildSource, done: list[tuple[str, ...]]
) -> None:
    """Keys an earlier attempt of this run finished without storing an item were unavailable."""
    run = job.run
    stored = await run.in_vault(
        lambda: {item_id for _, item_id, _ in run.vault.iter_items([job.name], run_id=run.run_id)}
    )
    job.state.unavailable.extend(
        child for key in done if (child := source.item_id(key, None)) not in stored
    )


def _child_keys(run: RunContext, source: ChildSource) -> dict[tuple[str, ...], _Parent]:
    """Keys of the child requests, each with the (type, id) of a parent that named it.

    Read from the parents this run stored (runs in a thread).
    """
    keys: dict[tuple[str, ...], _Parent] = {}
    for parent in source.parents:
        for _, parent_id, content in run.vault.iter_items([parent], run_id=run.run_id):
            for key in source.keys(parent, jsonio.loads(content)):
                keys.setdefault(key, (parent, parent_id))
    return keys


async def _fetch_child(
    job: TypeJob, source: ChildSource, key: tuple[str, ...], parent: _Parent | None = None
) -> Batch | None:
    """One child request; the batch to send (None: nothing, the type was skipped).

    Sent by the caller once it no longer holds its place among the type's requests in flight:
    a batch may wait for a writer behind other types' pages (explores, four at a time, went
    no faster than the writers committed; benchmark S2).
    """
    checkpoint = Checkpoint.child(key)
    run_id = job.run.run_id
    path = source.path.format(*(quote(part, safe="") for part in key))
    try:
        content = await job.run.client.get_decoded(path, source.params(key), decode=split_document)
        _check_child_shape(source, content)
    except ForbiddenError as exc:
        if await _forbidden_child(job, exc):
            return None
        batch = Batch(run_id, failures=(job.failure(checkpoint, error_line(exc)),))
    except NotFoundError as exc:
        child_id = source.item_id(key, None)
        if source.not_found == "unavailable":  # listed but not served: not gone, not failed
            job.state.unavailable.append(child_id)
            job.run.client.metrics.add(f"{UNAVAILABLE_PREFIX}{job.name}")
            batch = Batch(run_id, checkpoints=(job.mark(checkpoint),))
        elif not await parent_gone(job, parent):  # 404 alone does not mean deleted
            failure = job.failure(checkpoint, f"{error_line(exc)} (its parent still exists)")
            batch = Batch(run_id, failures=(failure,))
        else:
            batch = Batch(run_id, checkpoints=(job.mark(checkpoint),), gone=((job.name, child_id),))
    except (ApiError, PayloadShapeError) as exc:
        batch = Batch(run_id, failures=(job.failure(checkpoint, error_line(exc)),))
    else:
        fields = _fields_of_any(content)
        child = record(job.ct, source.item_id(key, fields), content, fields)
        batch = Batch(run_id, items=(child,), checkpoints=(job.mark(checkpoint),))
        job.state.fetched_any = True
    return batch


async def _forbidden_child(job: TypeJob, exc: ApiError) -> bool:
    """A 403 before any child was read skips the whole type (True); later, it is one failure."""
    if job.state.fetched_any:
        return False
    if job.run.outcomes.skip(job.name, FORBIDDEN, error_line(exc)):
        logger.warning("%s: skipped, the API user may not read it: %s", job.name, error_line(exc))
    return True


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
        if source.ids_in_answer and read_fields(entry).id in (None, ""):
            raise PayloadShapeError("expected JSON objects with an id")
