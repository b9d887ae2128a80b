"""Backing up one content type as a unit, so a run (or a later restore or incremental) can call it."""

from __future__ import annotations

from collections.abc import Callable

from lookervault.backup.children import back_up_children
from lookervault.backup.context import TypeJob
from lookervault.backup.pages import back_up_list
from lookervault.content import ChildSource
from lookervault.looker.request_counter import counted_as

__all__ = ["back_up_type"]


async def back_up_type(job: TypeJob, produced: Callable[[], None] | None = None) -> None:
    """Fetch and send every batch of the job's type, then wait until the writers committed them.

    The job's sender is closed once the type sends nothing more; `produced` is called then
    (the type asks Looker nothing more).
    """
    state = job.state
    if job.run.options.resume:  # what earlier attempts committed counts towards the total
        run = job.run
        already = await run.in_vault(run.vault.count_items, job.name, run_id=run.run_id)
        run.progress.resume(job.name, already)
    async with job.sender:
        try:
            with counted_as(job.name):
                await _back_up_source(job)
        finally:
            state.end()
            if produced is not None:
                produced()
    await state.finished.wait()
    job.run.progress.finish(job.name)


async def _back_up_source(job: TypeJob) -> None:
    source = job.ct.source
    if isinstance(source, ChildSource):
        await back_up_children(job, source)
    else:
        await back_up_list(job, source)
