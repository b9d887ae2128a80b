"""httpx's transport with connections that are plain asyncio protocols, not anyio streams.

httpcore reaches the network through anyio when it runs under asyncio, and anyio wraps every
read and write of a connection in a cancel scope with a checkpoint: 13 % of the CPU an httpx
request costs at latency 0, where the extract is bound by its own CPU (benchmarks.transport_cpu). A
connection here is an `asyncio.Protocol` that buffers what the socket delivers; a read takes
what is buffered or waits for more, a write hands the bytes to the transport and waits only when
the transport's buffer is full. Timeouts, cancellation and httpcore's errors are as before:
`asyncio.timeout` (anyio's cancel scopes cancel the task as usual), and ReadTimeout,
ReadError, WriteTimeout, WriteError, ConnectTimeout and ConnectError, with the error's own text
(a certificate that fails verification still says CERTIFICATE_VERIFY_FAILED).
"""

from __future__ import annotations

import asyncio
import ssl
from collections import deque
from collections.abc import Iterable
from typing import Any, cast

import httpcore
import httpx

__all__ = ["AsyncioBackend", "asyncio_transport"]

_HIGH_WATER = 256 * 1024  # bytes buffered before the socket stops being read


class _Connection(asyncio.Protocol, httpcore.AsyncNetworkStream):
    """One TCP (or TLS) connection: the protocol asyncio feeds, and the stream httpcore reads.

    The `timeout` arguments are httpcore's interface (seconds per operation, None: none)."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._transport: asyncio.Transport | None = None
        self._chunks: deque[bytes | memoryview] = deque()
        self._buffered = 0
        self._eof = False
        self._lost: Exception | None = None
        self._readable: asyncio.Future[None] | None = None  # a read waiting for data
        self._writable: asyncio.Future[None] | None = None  # set while the transport is full
        self._reading_paused = False

    # asyncio.Protocol: called by the event loop

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)  # uvloop's are not subclasses

    def data_received(self, data: bytes) -> None:
        self._chunks.append(data)
        self._buffered += len(data)
        if self._buffered > _HIGH_WATER and not self._reading_paused and self._transport:
            self._reading_paused = True
            self._transport.pause_reading()
        self._wake_reader()

    def eof_received(self) -> bool:
        self._eof = True
        self._wake_reader()
        return False  # the server is done: close our side too

    def connection_lost(self, exc: Exception | None) -> None:
        self._eof, self._lost = True, exc
        self._wake_reader()
        self.resume_writing()

    def pause_writing(self) -> None:
        if self._writable is None:
            self._writable = self._loop.create_future()

    def resume_writing(self) -> None:
        waiter, self._writable = self._writable, None
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _wake_reader(self) -> None:
        waiter, self._readable = self._readable, None
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    # httpcore.AsyncNetworkStream: called by httpcore's HTTP/1.1 connection

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:  # noqa: ASYNC109
        if not self._chunks and not self._eof:
            self._readable = self._loop.create_future()
            try:
                async with asyncio.timeout(timeout):
                    await self._readable
            except TimeoutError as exc:
                raise httpcore.ReadTimeout("timed out reading from Looker") from exc
        if not self._chunks:
            if self._lost is not None:
                raise httpcore.ReadError(str(self._lost) or repr(self._lost)) from self._lost
            return b""  # end of stream: httpcore says the server disconnected
        chunk = self._chunks.popleft()
        if len(chunk) > max_bytes:
            view = memoryview(chunk)
            self._chunks.appendleft(view[max_bytes:])
            chunk = view[:max_bytes]
        self._buffered -= len(chunk)
        if self._reading_paused and self._buffered <= _HIGH_WATER // 4 and self._transport:
            self._reading_paused = False
            self._transport.resume_reading()
        return chunk if isinstance(chunk, bytes) else bytes(chunk)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:  # noqa: ASYNC109
        if not buffer:
            return
        transport = self._transport
        if transport is None or transport.is_closing() or self._lost is not None:
            raise httpcore.WriteError("the connection to Looker is closed")
        transport.write(buffer)
        if self._writable is None:
            return
        try:
            async with asyncio.timeout(timeout):
                await self._writable
        except TimeoutError as exc:
            raise httpcore.WriteTimeout("timed out writing to Looker") from exc
        if self._lost is not None:
            raise httpcore.WriteError(str(self._lost) or repr(self._lost)) from self._lost

    async def aclose(self) -> None:
        if self._transport is not None:
            self._transport.close()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's signature)
    ) -> httpcore.AsyncNetworkStream:
        plain = self._transport
        if plain is None:
            raise httpcore.ConnectError("the connection to Looker is closed")
        try:
            async with asyncio.timeout(timeout):
                tls = await self._loop.start_tls(
                    plain, self, ssl_context, server_hostname=server_hostname
                )
        except TimeoutError as exc:
            plain.close()
            raise httpcore.ConnectTimeout("timed out in the TLS handshake") from exc
        except (OSError, ssl.SSLError) as exc:
            plain.close()
            raise httpcore.ConnectError(str(exc)) from exc
        if tls is None:
            raise httpcore.ConnectError("the connection to Looker closed during the TLS handshake")
        self._transport = tls
        return self

    def get_extra_info(self, info: str) -> Any:
        if info == "is_readable":  # on an idle connection: the server closed it or sent junk
            return bool(self._chunks) or self._eof
        if self._transport is None:
            return None
        key = {"client_addr": "sockname", "server_addr": "peername"}.get(info, info)
        if key not in ("ssl_object", "sockname", "peername", "socket"):
            return None
        return self._transport.get_extra_info(key)


class AsyncioBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend on the running asyncio loop (uvloop's too)."""

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's signature)
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        loop = asyncio.get_running_loop()
        connection = _Connection(loop)
        try:
            async with asyncio.timeout(timeout):
                await loop.create_connection(
                    lambda: connection,
                    host,
                    port,
                    local_addr=(local_address, 0) if local_address else None,
                )
        except TimeoutError as exc:
            raise httpcore.ConnectTimeout(f"timed out connecting to {host}:{port}") from exc
        except OSError as exc:
            raise httpcore.ConnectError(str(exc)) from exc
        sock = connection.get_extra_info("socket")
        for option in socket_options or ():
            sock.setsockopt(*option)
        return connection

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


def asyncio_transport(*, tls: ssl.SSLContext, limits: httpx.Limits) -> httpx.AsyncHTTPTransport:
    """An HTTP/1.1 httpx transport whose pool connects through :class:`AsyncioBackend`."""
    transport = httpx.AsyncHTTPTransport(verify=tls, limits=limits, http2=False)
    # httpx builds its pool without a backend argument: the same pool, given one
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=tls,
        max_connections=limits.max_connections,
        max_keepalive_connections=limits.max_keepalive_connections,
        keepalive_expiry=limits.keepalive_expiry,
        http1=True,
        http2=False,
        network_backend=AsyncioBackend(),
    )
    return transport
