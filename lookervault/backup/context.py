"""What the jobs of one run share, so backing up a content type takes one value, not seven arguments."""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass, field
from typing import Any

import anyio
import anyio.to_thread
from anyio.abc import ObjectSendStream, TaskGroup

from lookervault.backup.budget import PageMemory, PageSlot
from lookervault.backup.checkpoint import Checkpoint
from lookervault.backup.options import ExtractOptions
from lookervault.backup.outcomes import RunOutcomes
from lookervault.content import ContentType
from lookervault.looker.client import LookerClient
from lookervault.progress import Progress
from lookervault.vault.ledger import ListedIds
from lookervault.vault.records import Batch, Failure
from lookervault.vault.store import Vault

__all__ = ["Queued", "RunContext", "Sender", "TypeJob", "TypeState"]

# (content type name, batch, the page slot it holds or None): the writer reports each commit.
Queued = tuple[str, Batch, PageSlot | None]
Sender = ObjectSendStream[Queued]


@dataclass
class TypeState:
    """Per-type bookkeeping: batches sent but not yet committed, and whether production ended."""

    pending: int = 0
    producing: bool = True
    fetched_any: bool = False  # a child answered: a later 403 is one failure, not a skipped type
    idle: anyio.Event = field(default_factory=anyio.Event)
    finished: anyio.Event = field(default_factory=anyio.Event)
    # Items listed but answering 404 (explores): kept as they were, never marked gone.
    unavailable: list[str] = field(default_factory=list)
    # Held while one page's items are handed out for fetching by id (backup/details.py).
    details_turn: anyio.Lock = field(default_factory=anyio.Lock)

    def __post_init__(self) -> None:
        self.idle.set()  # nothing sent yet: nothing to wait for

    def sent(self) -> None:
        """One more batch in the stream or a writer."""
        if self.pending == 0:
            self.idle = anyio.Event()
        self.pending += 1

    def committed(self) -> None:
        """A writer committed one of the type's batches."""
        self.pending -= 1
        self._settle()

    def end(self) -> None:
        """The type sends nothing more."""
        self.producing = False
        self._settle()

    def _settle(self) -> None:
        if self.pending == 0:
            self.idle.set()
            if not self.producing:
                self.finished.set()


@dataclass
class RunContext:
    """One run: its client, vault, ledger and options, and the state every type job shares.

    Build it inside the event loop (its events and limiters belong to it).
    """

    client: LookerClient
    vault: Vault
    ledger: ListedIds
    run_id: int
    options: ExtractOptions
    progress: Progress
    states: dict[str, TypeState]
    memory: PageMemory
    limited: bool = False  # a limited API user's run (backup/preflight.py) marks nothing gone
    partly_listed: frozenset[str] = frozenset()  # types read in part on purpose: unseen not gone
    outcomes: RunOutcomes = field(default_factory=RunOutcomes)
    # The control connection is used by one thread at a time; the ledger serializes calls anyway.
    _vault_lock: anyio.CapacityLimiter = field(
        init=False, default_factory=lambda: anyio.CapacityLimiter(1)
    )
    _ledger_lock: anyio.CapacityLimiter = field(
        init=False, default_factory=lambda: anyio.CapacityLimiter(1)
    )

    async def in_vault(self, func: Any, *args: Any, **kwargs: Any) -> Any:
        """Call a method of the vault's control connection in a worker thread."""
        call = functools.partial(func, *args, **kwargs)
        return await anyio.to_thread.run_sync(call, limiter=self._vault_lock)

    async def in_ledger(self, func: Any, *args: Any) -> Any:
        """Call a method of the id ledger in a worker thread."""
        return await anyio.to_thread.run_sync(func, *args, limiter=self._ledger_lock)


@dataclass
class TypeJob:
    """Backing up one content type within a run: what it reads and where its batches go."""

    run: RunContext
    ct: ContentType
    sender: Sender

    @property
    def name(self) -> str:
        """The content type's name."""
        return self.ct.name

    @property
    def state(self) -> TypeState:
        """The type's pending/idle/finished state."""
        return self.run.states[self.ct.name]

    async def done(self) -> frozenset[Checkpoint]:
        """What earlier attempts of this run committed for the type.

        A new run has none: it is not asked for (a vault round trip per type, one type at a
        time on the control connection, before any type's first request).
        """
        if not self.run.options.resume:
            return frozenset()
        keys = await self.run.in_vault(self.run.vault.checkpoints, self.run.run_id, self.ct.name)
        return Checkpoint.decode_all(keys)

    async def failures(self) -> list[Failure]:
        """The type's outstanding failures in this run."""
        failed: list[Failure] = await self.run.in_vault(self.run.vault.failures, self.run.run_id)
        return [f for f in failed if f.content_type == self.ct.name]

    def mark(self, checkpoint: Checkpoint) -> tuple[str, str]:
        """A checkpoint as a batch carries it."""
        return (self.ct.name, checkpoint.encode())

    def failure(self, key: Checkpoint, error: str) -> Failure:
        """A failure of the type recorded under `key`."""
        return Failure(self.ct.name, key.encode(), error)

    async def send(self, batch: Batch, slot: PageSlot | None = None) -> None:
        """Queue a batch for the writers; a page's slot goes with it and is released on commit."""
        await self._send_now(self._hand_over(batch, slot), slot)

    def send_soon(self, tg: TaskGroup, batch: Batch, slot: PageSlot | None = None) -> None:
        """Queue a batch from a task of `tg`, so the caller goes on while the writers catch up.

        The slot is the sending task's from now on, and bounds how many such tasks there are.
        """
        tg.start_soon(self._send_now, self._hand_over(batch, slot), slot)

    def _hand_over(self, batch: Batch, slot: PageSlot | None) -> Batch:
        """Count the batch as sent at once (the type is not idle until it is committed), and
        make its slot the sender's: whoever sends it releases the slot if the send fails."""
        if slot is not None:
            slot.handed_over = True
        self.state.sent()
        return self._shown(batch)

    async def _send_now(self, batch: Batch, slot: PageSlot | None) -> None:
        try:
            await self.sender.send((self.ct.name, batch, slot))
        except BaseException:
            if slot is not None:
                slot.release()  # the writer never saw it
            raise

    def _shown(self, batch: Batch) -> Batch:
        if self.run.limited and batch.gone:  # what a limited user cannot see may still exist
            batch = dataclasses.replace(batch, gone=())
        return batch
