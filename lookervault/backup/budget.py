"""A byte budget for pages held in memory, so big content costs fewer pages in flight, not more RAM.

A page of dashboards is about 1.5 MB, a page of users 50 KB. A bound on pages alone lets sixteen
dashboard pages (and their copies while they are read, split and written) sit in memory at once;
benchmark S5 measured that as most of the extractor's peak. Each page first reserves the size
its content type's last page had, then corrects that to its real size, and gives it back once
committed. The budget never blocks a page when nothing else is held, so one page larger than the
whole budget still goes through.
"""

from __future__ import annotations

import anyio

__all__ = ["ByteBudget", "PageMemory", "PageSlot"]


class ByteBudget:
    """Bytes reserved by pages from their request until their batch is committed.

    Not thread-safe: use it from the event loop (writers release through the portal).
    """

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError(f"capacity must be at least 1 byte, not {capacity}")
        self.capacity = capacity
        self.used = 0
        self._freed = anyio.Event()

    async def reserve(self, size: int) -> None:
        """Wait until `size` bytes fit (or nothing is held), then hold them."""
        size = max(0, size)
        while self.used and self.used + size > self.capacity:
            await self._freed.wait()
        self.used += size

    def adjust(self, reserved: int, actual: int) -> None:
        """Replace a reservation by the real size (may go over: the page is already here)."""
        self.release(reserved)
        self.used += max(0, actual)

    def release(self, size: int) -> None:
        """Give `size` bytes back and wake the pages waiting for room."""
        self.used = max(0, self.used - max(0, size))
        self._freed.set()
        self._freed = anyio.Event()


class PageMemory:
    """Pages held in memory across all types: a slot each (the concurrency) and their bytes.

    Held from a page's request until its batch is committed: without this bound pages would also
    pile up in the stream and the writers.
    """

    def __init__(self, slots: int, budget_bytes: int) -> None:
        self._slots = anyio.Semaphore(slots)
        self._budget = ByteBudget(budget_bytes)
        self._last_bytes: dict[str, int] = {}  # per type: what its next page reserves

    async def hold(self, content_type: str) -> PageSlot:
        """Wait for a free slot, then for room for the size of the type's last page."""
        reserved = self._last_bytes.get(content_type, 0)
        await self._slots.acquire()
        try:
            await self._budget.reserve(reserved)
        except BaseException:
            self._slots.release()
            raise
        return PageSlot(self, content_type, reserved)

    def _resized(self, content_type: str, reserved: int, actual: int, held: bool) -> None:
        self._last_bytes[content_type] = actual
        if held:
            self._budget.adjust(reserved, actual)

    def _released(self, size: int) -> None:
        self._budget.release(size)
        self._slots.release()


class PageSlot:
    """A page slot and its bytes, held by a page from its request until its batch is committed."""

    def __init__(self, memory: PageMemory, content_type: str, reserved: int) -> None:
        self._memory = memory
        self._content_type = content_type
        self._bytes = reserved
        self._held = True
        self.handed_over = False  # True once the batch carrying it is in the stream

    def resize(self, actual: int) -> None:
        """The page's real size: the next page of its type reserves as much."""
        self._memory._resized(self._content_type, self._bytes, actual, self._held)
        if self._held:
            self._bytes = actual

    def release(self) -> None:
        """Give the slot and its bytes back (idempotent)."""
        if self._held:
            self._held = False
            self._memory._released(self._bytes)
