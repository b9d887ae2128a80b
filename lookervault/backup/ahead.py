"""Id listing pages asked ahead, at the offsets an earlier listing of the same variant read.

A listing is one round trip per thousand ids, each asked after the one before (offsets advance by
what the server sent). The listing after the pages, which reconciliation compares with the one
before, usually reads the same offsets (the same count, the same cap, the same X-Total-Count):
its pages can all be asked at once and then read in order, checked exactly as if asked one by
one. A page asked at an offset the listing never reaches (the content changed) is dropped: at
most one request per page of the earlier listing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable

import anyio
from anyio.abc import TaskGroup

from lookervault.looker.listing import ListPage

__all__ = ["PagesAhead"]

Fetch = Callable[[int], Awaitable[ListPage]]


class _Pending:
    """One page asked ahead: its answer, or the error it raised, once it came."""

    def __init__(self) -> None:
        self.done = anyio.Event()
        self.page: ListPage | None = None
        self.error: Exception | None = None

    async def run(self, fetch: Fetch, offset: int) -> None:
        try:
            self.page = await fetch(offset)
        except Exception as exc:  # raised to the listing if it reaches this offset
            self.error = exc
        finally:
            self.done.set()


class PagesAhead:
    """Pages asked ahead within `tg`; the listing takes each at most once, else asks itself."""

    def __init__(self, tg: TaskGroup, fetch: Fetch) -> None:
        self._tg = tg
        self._fetch = fetch
        self._pending: dict[int, _Pending] = {}

    def ask(self, offsets: Iterable[int]) -> None:
        """Start asking for the pages at `offsets`."""
        for offset in offsets:
            pending = self._pending[offset] = _Pending()
            self._tg.start_soon(pending.run, self._fetch, offset)

    async def page_at(self, offset: int) -> ListPage:
        """The page at `offset`: the one asked ahead (once), or a fresh request."""
        pending = self._pending.pop(offset, None)
        if pending is None:
            return await self._fetch(offset)
        await pending.done.wait()
        if pending.error is not None:
            raise pending.error
        assert pending.page is not None
        return pending.page
