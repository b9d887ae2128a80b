"""The extraction pipeline: async producers -> a bounded stream -> N SQLite writer threads.

One anyio task group owns everything. Producers (one job per content type, each with several pages in
flight) fetch through the shared LookerClient and send `Batch`es into a memory object stream whose fixed
buffer is the backpressure. Exactly N writer threads, each owning one vault connection for its whole life,
pull batches through anyio's `from_thread` portal and commit each batch with its checkpoints (and the
batches already waiting behind it) in one transaction. The event loop never touches SQLite except through `to_thread`; the writers never touch the
network. The jobs live beside this module: pages, details, children, reconcile.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import signal
from collections.abc import AsyncGenerator, Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any

import anyio
import anyio.to_thread
from anyio.abc import TaskGroup
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from lookervault import package_version
from lookervault.backup.budget import PageMemory, PageSlot
from lookervault.backup.context import Queued, RunContext, TypeJob, TypeState
from lookervault.backup.instance import check_same_instance
from lookervault.backup.job import back_up_type
from lookervault.backup.options import ExtractOptions
from lookervault.backup.outcomes import EXCLUDED, RunOutcomes, is_skipped
from lookervault.backup.pace import describe, recall, remember
from lookervault.backup.preflight import Preflight, start_session
from lookervault.backup.selection import Selection, select_types
from lookervault.backup.shrink import hold_shrinking_types
from lookervault.config import (
    PAGE_MEMORY_BUDGET_BYTES,
    STREAM_BATCHES_PER_WORKER,
)
from lookervault.content import ContentType
from lookervault.errors import LookerVaultError, RequestBudgetError
from lookervault.learned_rate import LearnedRate
from lookervault.looker.client import LookerClient
from lookervault.looker.throttle import AdaptiveLimiter
from lookervault.metrics import Metrics, requests_by_type, unavailable_by_type
from lookervault.progress import NullProgress, Progress
from lookervault.settings import ConnectionSettings
from lookervault.vault.ledger import ListedIds
from lookervault.vault.records import Failure
from lookervault.vault.store import Vault
from lookervault.vault.writer import BATCHES_PER_COMMIT

__all__ = ["ExtractOptions", "ExtractResult", "VaultOpener", "extract"]

logger = logging.getLogger(__name__)


@dataclass
class ExtractResult:
    """The outcome of one run, as `--json` prints it."""

    run_id: int
    status: str
    items: dict[str, int]
    failures: list[Failure]
    metrics: dict[str, int]
    elapsed_s: float
    access: str | None = None  # "admin" or "limited" (backup/preflight.py)
    outcomes: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def skipped(self) -> bool:
        """Whether a type (or a variant of one) was skipped: forbidden or excluded."""
        return any(is_skipped(o["outcome"]) for o in self.outcomes.values())

    def as_json(self) -> dict[str, Any]:
        """The one JSON object `extract --json` prints."""
        total = sum(self.items.values())
        return {
            "run_id": self.run_id,
            "status": self.status,
            "counts": self.items,
            "errors": len(self.failures),
            "requests": self.metrics.get("requests", 0),
            "requests_by_type": requests_by_type(self.metrics),
            "access": self.access,
            "rate_limited": self.metrics.get("rate_limited", 0),
            "retries": self.metrics.get("retries", 0),
            # listed but answering 404 (explores): neither gone nor failed
            "unavailable": unavailable_by_type(self.metrics),
            "elapsed_s": round(self.elapsed_s, 3),
            "items_per_s": round(total / self.elapsed_s, 1) if self.elapsed_s > 0 else 0.0,
            "outcomes": self.outcomes,
        }


class _Run:
    """One run of the pipeline: the writers, the type jobs, signals, and the close-out."""

    def __init__(
        self, context: RunContext, types: tuple[ContentType, ...], session: TaskGroup | None = None
    ) -> None:
        self.context = context
        self.session = session  # where the early logout runs, beside the close-out
        self.types = types
        self.metrics = context.client.metrics
        self._writer_threads = anyio.CapacityLimiter(context.options.workers)
        self.handle_signals = False
        self.interrupted = False
        self._producing = len(types)
        self._produced = anyio.Event()  # every type job asks Looker nothing more

    def _type_produced(self) -> None:
        self._producing -= 1
        if self._producing <= 0:
            self._produced.set()

    async def _log_out_once_produced(self) -> None:
        """Log out as soon as no type asks Looker anything more, beside the last commits.

        The close-out only writes to the vault; ending the session after it put one round
        trip after the last commit and the vault's close (benchmark S2). Cancelled with the
        run before that: the client logs out as it closes, as before.
        """
        await self._produced.wait()
        with anyio.CancelScope(shield=True):
            await self.context.client.logout()

    async def run(self) -> None:
        """Start the writers, run every type job, and let the writers drain the stream."""
        try:
            await self._run()
        finally:
            self._produced.set()  # however it ended, nothing more is asked

    async def _run(self) -> None:
        workers = self.context.options.workers
        buffer = workers * STREAM_BATCHES_PER_WORKER
        send, receive = anyio.create_memory_object_stream[Queued](max_buffer_size=buffer)
        async with anyio.create_task_group() as tg:
            for _ in range(workers):
                tg.start_soon(self._writer, receive.clone())
            receive.close()
            if self.session is not None and self.types:
                self.session.start_soon(self._log_out_once_produced)
            async with send, anyio.create_task_group() as producers:
                if self.handle_signals:
                    producers.start_soon(self._watch_signals, producers.cancel_scope)
                async with anyio.create_task_group() as work:
                    if self.context.options.max_requests is not None:
                        # On a budget, one type after another: a run stopped at the budget
                        # keeps whole types, so the next session spends nothing on them.
                        work.start_soon(self._one_type_at_a_time, send)
                    else:
                        for ct in self.types:
                            job = TypeJob(self.context, ct, send.clone())
                            work.start_soon(back_up_type, job, self._type_produced)
                producers.cancel_scope.cancel()  # stops the signal watcher

    async def _one_type_at_a_time(self, send: MemoryObjectSendStream[Queued]) -> None:
        for ct in self.types:
            await back_up_type(TypeJob(self.context, ct, send.clone()), self._type_produced)

    async def _watch_signals(self, scope: anyio.CancelScope) -> None:
        """Ctrl-C / SIGTERM stop the producers; writers still commit what is already queued."""
        with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
            async for signum in signals:
                logger.warning("received %s: stopping after the batches in flight", signum.name)
                self.interrupted = True
                scope.cancel()
                return

    async def _writer(self, receive: MemoryObjectReceiveStream[Queued]) -> None:
        async with receive:
            await anyio.to_thread.run_sync(self._write_loop, receive, limiter=self._writer_threads)

    def _write_loop(self, receive: MemoryObjectReceiveStream[Queued]) -> None:
        """Runs in one writer thread for the whole run, with its own connection.

        The batches waiting when it asks are committed together (one child each were most of
        M's 8,000 commits), each with its checkpoints, then each is counted as committed.
        """
        with self.context.vault.writer() as writer:
            while True:
                try:
                    queued = anyio.from_thread.run(_waiting_batches, receive)
                except (anyio.EndOfStream, anyio.ClosedResourceError):
                    return
                writer.write_all([batch for _, batch, _ in queued])
                anyio.from_thread.run_sync(self._all_committed, queued)

    def _all_committed(self, queued: list[Queued]) -> None:
        for name, batch, slot in queued:
            self._committed(name, len(batch.items), slot)

    def _committed(self, name: str, items: int, slot: PageSlot | None = None) -> None:
        if slot is not None:
            slot.release()
        self.metrics.add("batches")
        self.metrics.add("items", items)
        self.metrics.add(f"items:{name}", items)
        self.context.progress.advance(name, items)
        self.context.states[name].committed()

    async def close_out(self) -> list[Failure]:
        """Mark items deleted from Looker since earlier runs as gone, for every type fetched in full."""
        context = self.context
        failures: list[Failure] = await context.in_vault(context.vault.failures, context.run_id)
        if self.interrupted or context.limited:  # a limited user's listing is not all there is
            return failures
        await hold_shrinking_types(context, self.types)
        incomplete = {f.content_type for f in failures}
        for ct in self.types:
            # Only a type whose outcome is complete (not failed, skipped or held by the shrink
            # guard) and that was listed in full marks unseen items gone; unavailable ids
            # (explores answering 404) are spared.
            if (
                ct.name not in incomplete
                and ct.name not in context.partly_listed
                and context.outcomes.may_mark_gone(ct.name)
            ):
                spare = tuple(context.states[ct.name].unavailable)
                await context.in_vault(
                    context.vault.mark_unseen_gone, context.run_id, ct.name, spare
                )
        return failures


async def _waiting_batches(receive: MemoryObjectReceiveStream[Queued]) -> list[Queued]:
    """The next batch, and those already waiting behind it (up to BATCHES_PER_COMMIT in all)."""
    queued = [await receive.receive()]
    while len(queued) < BATCHES_PER_COMMIT:
        try:
            queued.append(receive.receive_nowait())
        except (anyio.WouldBlock, anyio.EndOfStream, anyio.ClosedResourceError):
            break  # the next receive ends the loop if the stream ended
    return queued


def _first_leaf(group: BaseExceptionGroup) -> BaseException:
    """The first real error inside nested task-group exception groups."""
    first = group.exceptions[0]
    return _first_leaf(first) if isinstance(first, BaseExceptionGroup) else first


VaultOpener = Callable[[], AbstractContextManager[Vault]]


@contextlib.asynccontextmanager
async def _one_error() -> AsyncGenerator[None]:
    """Raise the error of a task group whose only other task (the logout) raises none, as is."""
    try:
        yield
    except BaseExceptionGroup as group:
        if len(group.exceptions) != 1:
            raise
        error = group.exceptions[0]
        raise error.with_traceback(error.__traceback__) from error.__cause__


async def extract(
    settings: ConnectionSettings,
    vault: Vault | VaultOpener,
    options: ExtractOptions,
    *,
    progress: Progress | None = None,
    transport: Any = None,
    handle_signals: bool = False,
    pace: LearnedRate | None = None,
) -> ExtractResult:
    """Back up the content types in `options` from the Looker at `settings` into `vault`.

    `vault` is an open Vault, or a callable opening one (a context manager): it is called only
    once Looker has accepted the login, so a refused connection or secret creates no file.
    `pace`: what the vault's last run learned, read before (`backup.pace.recall_before`), so the
    session's first requests start from it too; else it is read once the vault is open.

    Raises:
        LookerVaultError: connection, authentication or vault problems that stop the run.
    """
    selection = select_types(options.content_types, options.exclude)
    metrics = Metrics()
    limiter = AdaptiveLimiter(
        per_second=options.rate_limit_per_second, per_minute=options.rate_limit_per_minute
    )
    if pace is not None and not options.relearn_rate:
        _resume(limiter, pace)
    progress = progress or NullProgress()
    client = LookerClient(
        settings,
        concurrency=options.concurrency,
        limiter=limiter,
        metrics=metrics,
        transport=transport,
        max_requests=options.max_requests,
    )
    opener: VaultOpener = (
        functools.partial(contextlib.nullcontext, vault) if isinstance(vault, Vault) else vault
    )
    try:
        async with client:
            versions, found = await start_session(client, selection.types, options)
            # The session's logout runs in `session`, beside the close-out and the vault's close.
            async with _one_error(), anyio.create_task_group() as session:
                with opener() as opened:
                    check_same_instance(
                        settings.base_url,
                        opened.looker_urls(),
                        allow_other=options.allow_other_instance,
                    )
                    if pace is None and not options.relearn_rate:
                        if learned := recall(opened, settings.base_url):
                            _resume(limiter, learned)
                    run_id = await _open_run(opened, settings, options, versions)
                    opened.record_access(run_id, found.run_access)
                    status, counts, failures, outcomes = await _run_and_close(
                        client,
                        opened,
                        run_id,
                        found,
                        selection,
                        options,
                        progress,
                        session,
                        handle_signals=handle_signals,
                    )
    finally:
        progress.close()
    snapshot, elapsed = metrics.snapshot(), metrics.elapsed()
    return ExtractResult(
        run_id, status, counts, failures, snapshot, elapsed, found.run_access, outcomes
    )


def _resume(limiter: AdaptiveLimiter, learned: LearnedRate) -> None:
    limiter.resume(learned)
    logger.info(
        "starting from the pace the last run learned: %s (--relearn-rate starts afresh)",
        describe(learned),
    )


async def _run_and_close(
    client: LookerClient,
    vault: Vault,
    run_id: int,
    found: Preflight,
    selection: Selection,
    options: ExtractOptions,
    progress: Progress,
    session: TaskGroup,
    *,
    handle_signals: bool,
) -> tuple[str, dict[str, int], list[Failure], dict[str, dict[str, Any]]]:
    """Run the pipeline for `run_id`, then record its status, counts and statistics."""
    metrics, types = client.metrics, found.types  # the selection, as the pre-flight planned it
    status, failures, counts = "failed", [], {}
    outcomes = RunOutcomes()
    for name, reason in selection.excluded.items():
        outcomes.skip(name, EXCLUDED, reason)
    try:
        with ListedIds(vault.path) as ledger:
            context = RunContext(
                client,
                vault,
                ledger,
                run_id,
                options,
                progress,
                states={ct.name: TypeState() for ct in types},
                memory=PageMemory(options.concurrency, PAGE_MEMORY_BUDGET_BYTES),
                limited=found.limited,
                partly_listed=found.partly_listed,
                outcomes=outcomes,
            )
            job = _Run(context, types, session)
            job.handle_signals = handle_signals
            status, failures = await _run_job(job)
    finally:
        counts = {ct.name: vault.count_items(ct.name, run_id=run_id) for ct in types}
        report = outcomes.report([*counts, *selection.excluded], failures)
        stats = {
            **metrics.snapshot(),
            "elapsed_s": round(metrics.elapsed(), 3),
            "outcomes": report,
            **remember(client.limiter),
        }
        with anyio.CancelScope(shield=True):
            await anyio.to_thread.run_sync(
                lambda: vault.finish_run(run_id, status=status, counts=counts, stats=stats)
            )
    return status, counts, failures, report


async def _run_job(job: _Run) -> tuple[str, list[Failure]]:
    """Run the pipeline; the status and the failures still outstanding."""
    stopped: BaseException | None = None
    try:
        await job.run()
    except* LookerVaultError as group:
        stopped = _first_leaf(group)
    if isinstance(stopped, RequestBudgetError):  # partial: --resume fetches the rest
        logger.warning("stopped: %s; nothing is marked gone", stopped)
        context = job.context
        return "partial", await context.in_vault(context.vault.failures, context.run_id)
    if stopped is not None:
        raise stopped from None
    failures = await job.close_out()
    held = job.context.outcomes.held_any()
    status = "interrupted" if job.interrupted else ("partial" if failures or held else "complete")
    return status, failures


async def _open_run(
    vault: Vault, settings: ConnectionSettings, options: ExtractOptions, versions: Any
) -> int:
    unfinished = vault.resumable_run()
    if options.resume and unfinished is not None:
        vault.reopen_run(unfinished)  # which logs "resuming run N"
        return unfinished
    if options.resume:
        logger.warning("nothing to resume: starting a new run")
    current = versions.get("current_version") or {} if isinstance(versions, dict) else {}
    run_id = vault.start_run(
        abandon=unfinished,
        options=options.as_dict(),
        looker_url=settings.base_url,
        looker_release=versions.get("looker_release_version")
        if isinstance(versions, dict)
        else None,
        api_version=current.get("version"),
        tool_version=package_version(),
    )
    if unfinished is not None:
        logger.warning(
            "run %d is unfinished and is left as it is, now marked abandoned; starting run %d "
            "(`lookervault extract --resume` continues an unfinished run instead)",
            unfinished,
            run_id,
        )
    return run_id
