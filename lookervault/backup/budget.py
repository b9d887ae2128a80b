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

__all__ = ["ByteBudget"]


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
