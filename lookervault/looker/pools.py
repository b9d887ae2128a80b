"""Several small httpx connection pools behind one `request`, so a request's pool bookkeeping stays cheap.

httpcore 1.0 walks every connection of its pool twice per request, and for each idle one asks the
socket whether it is readable (a system call); with 16 connections that bookkeeping was a fifth of
the extractor's CPU at latency 0 (py-spy, benchmark S1). A few clients of at most
`CONNECTIONS_PER_POOL` connections each, with every request sent through the least busy one, keep
the same number of connections in flight at a fraction of that cost.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import httpx

from lookervault.config import CONNECTIONS_PER_POOL

__all__ = ["PooledClients"]


class PooledClients:
    """`concurrency` keep-alive connections spread over ceil(concurrency / per_pool) clients.

    Args:
        make: builds one httpx.AsyncClient allowed `connections` connections.
        concurrency: connections in all; callers keep at most this many requests in flight.
        per_pool: connections per client (one client when a transport without a pool is used).
    """

    def __init__(
        self,
        make: Callable[[int], httpx.AsyncClient],
        concurrency: int,
        per_pool: int = CONNECTIONS_PER_POOL,
    ) -> None:
        count = max(1, math.ceil(concurrency / max(1, per_pool)))
        sizes = [concurrency // count + (i < concurrency % count) for i in range(count)]
        self._clients = [make(max(1, size)) for size in sizes]
        self._busy = [0] * count

    def __len__(self) -> int:
        return len(self._clients)

    async def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """Send through the client with the fewest requests in flight; the body is read."""
        index = min(range(len(self._busy)), key=self._busy.__getitem__)
        self._busy[index] += 1
        try:
            return await self._clients[index].request(method, url, **kwargs)
        finally:
            self._busy[index] -= 1

    async def aclose(self) -> None:
        """Close every client (each closes its own connections)."""
        clients, self._clients = self._clients, []
        for client in clients:
            await client.aclose()
