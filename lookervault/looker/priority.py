"""Request slots with two priorities, so the requests that open up more work never wait behind leaves.

At 100 ms a request, a backup is as fast as its slots are busy. A page of looks starts a hundred
fetches by id at once; with one first-come queue, the pages and id listings of every other type
waited behind thousands of them, and ended as a serial tail after the leaves were done (benchmark
S2: dashboards' pages starved for seven seconds). Fetches of one item by id (backup/details.py)
are leaves: they go once no other request waits. Within a priority, first come first served; a
freed slot goes straight to the next waiter, so no one can overtake it.
"""

from __future__ import annotations

import contextlib
from collections import deque
from collections.abc import Generator
from contextvars import ContextVar
from types import TracebackType

import anyio
import anyio.lowlevel

__all__ = ["PrioritySlots", "as_leaves"]

_URGENT, _LEAF = 0, 1
_priority: ContextVar[int] = ContextVar("lookervault_request_priority", default=_URGENT)


@contextlib.contextmanager
def as_leaves() -> Generator[None]:
    """Requests made inside this block (and tasks started in it) yield their place to others."""
    token = _priority.set(_LEAF)
    try:
        yield
    finally:
        _priority.reset(token)


class PrioritySlots:
    """At most `total` holders at once: `async with slots:`; leaves wait while others wait.

    Not thread-safe: use it from the event loop only.
    """

    def __init__(self, total: int) -> None:
        if total < 1:
            raise ValueError(f"total must be at least 1, not {total}")
        self.total = total
        self._free = total
        self._waiting: tuple[deque[anyio.Event], deque[anyio.Event]] = (deque(), deque())

    @property
    def held(self) -> int:
        """Slots held now."""
        return self.total - self._free

    @property
    def waiting(self) -> tuple[int, int]:
        """How many wait, (others, leaves)."""
        return len(self._waiting[_URGENT]), len(self._waiting[_LEAF])

    async def __aenter__(self) -> None:
        await anyio.lowlevel.checkpoint_if_cancelled()
        if self._free and not (self._waiting[_URGENT] or self._waiting[_LEAF]):
            self._free -= 1
            await anyio.lowlevel.cancel_shielded_checkpoint()  # others run; the slot stays ours
            return
        queue = self._waiting[_priority.get()]
        handed = anyio.Event()
        queue.append(handed)
        try:
            await handed.wait()
        except BaseException:
            if handed.is_set():  # the slot came with the cancellation: pass it on
                self._release()
            else:
                queue.remove(handed)
            raise

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._release()

    def _release(self) -> None:
        for queue in self._waiting:
            if queue:
                queue.popleft().set()  # the slot goes to it: `_free` is unchanged
                return
        self._free += 1
