"""The asyncio transport against raw HTTP/1.1 servers on loopback: bodies, keep-alive, errors."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from collections.abc import AsyncIterator, Awaitable, Callable

import anyio
import httpx
import pytest

from lookervault.looker.transport import asyncio_transport

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
LOOPS = pytest.mark.parametrize("uvloop", [True, False], ids=["uvloop", "asyncio"])


def _answer(body: bytes, *, close: bool = False) -> bytes:
    head = f"HTTP/1.1 200 OK\r\nContent-Length: {len(body)}\r\nContent-Type: application/json\r\n"
    return (head + ("Connection: close\r\n" if close else "") + "\r\n").encode() + body


async def _request_head(reader: asyncio.StreamReader) -> bytes:
    """One request's head (the tests send GETs without bodies); b'' when the client left."""
    try:
        return await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, ConnectionError):
        return b""


def _run(test: Callable[[], Awaitable[None]], uvloop: bool) -> None:
    anyio.run(test, backend="asyncio", backend_options={"use_uvloop": uvloop})


def _client(url: str, *, timeout: float = 5.0, connections: int = 2) -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    transport = asyncio_transport(tls=httpx.create_ssl_context(), limits=limits)
    return httpx.AsyncClient(base_url=url, transport=transport, timeout=timeout)


@contextlib.asynccontextmanager
async def _serve(handler: Handler) -> AsyncIterator[str]:
    """A raw HTTP/1.1 server on loopback; on exit every connection it took is closed."""
    writers: list[asyncio.StreamWriter] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writers.append(writer)
        with contextlib.suppress(ConnectionError):
            await handler(reader, writer)
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    try:
        yield f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    finally:
        server.close()
        for writer in writers:
            writer.transport.abort()
        await server.wait_closed()
        await asyncio.sleep(0.01)  # the handlers see their connections end


@LOOPS
def test_bodies_arrive_whole_over_one_kept_alive_connection(uvloop: bool) -> None:
    """Small and large bodies (past the read buffer's high-water mark) come back byte for byte,
    and sequential requests reuse one connection."""
    sizes = [10, 70_000, 3_000_000, 5]
    bodies = [hashlib.sha256(str(n).encode()).hexdigest().encode() * (n // 64 + 1) for n in sizes]
    connections = 0

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        while head := await _request_head(reader):
            index = int(head.split(b" ")[1].rsplit(b"/", 1)[1])
            writer.write(_answer(bodies[index]))
            await writer.drain()

    async def test() -> None:
        async with _serve(handler) as url, _client(url) as http:
            for index, body in enumerate(bodies):
                answer = await http.get(f"/item/{index}")
                assert answer.status_code == 200
                assert answer.content == body
                # httpx's pool really connects through our backend (not anyio's streams)
                assert type(answer.extensions["network_stream"]).__name__ == "_Connection"
        assert connections == 1

    _run(test, uvloop)


@LOOPS
def test_concurrent_requests_each_get_their_own_answer(uvloop: bool) -> None:
    """Many requests in flight over a few connections: every answer matches its request."""

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while head := await _request_head(reader):
            path = head.split(b" ")[1]
            await asyncio.sleep(0.001)
            writer.write(_answer(b'{"path": "' + path + b'"}'))
            await writer.drain()

    async def test() -> None:
        answers: dict[int, str] = {}
        async with _serve(handler) as url, _client(url, connections=4) as http:

            async def one(n: int) -> None:
                answers[n] = (await http.get(f"/n/{n}")).json()["path"]

            async with anyio.create_task_group() as tg:
                for n in range(200):
                    tg.start_soon(one, n)
        assert answers == {n: f"/n/{n}" for n in range(200)}

    _run(test, uvloop)


@LOOPS
def test_a_connection_the_server_closed_while_idle_is_not_reused(uvloop: bool) -> None:
    """The server answers and then closes a kept-alive connection: the next request opens a new
    one instead of failing on the dead one."""
    connections = 0

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        if await _request_head(reader):
            writer.write(_answer(b"{}"))  # says nothing of closing, then closes
            await writer.drain()

    async def test() -> None:
        async with _serve(handler) as url, _client(url) as http:
            for _ in range(3):
                assert (await http.get("/")).status_code == 200
                await asyncio.sleep(0.05)  # the server's close reaches the idle connection
        assert connections == 3

    _run(test, uvloop)


@LOOPS
def test_errors_are_httpx_errors(uvloop: bool) -> None:
    """A server that never answers times out; one that drops the connection mid-body, or is not
    there at all, is an httpx transport error (which the client's retries know)."""

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _request_head(reader)
        await asyncio.sleep(5)

    async def cut(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _request_head(reader)
        writer.write(_answer(b"x" * 100_000)[:50_000])
        await writer.drain()
        writer.transport.abort()

    async def test() -> None:
        async with _serve(silent) as url, _client(url, timeout=0.2) as http:
            with pytest.raises(httpx.ReadTimeout):
                await http.get("/")
        async with _serve(cut) as url, _client(url) as http:
            with pytest.raises((httpx.ReadError, httpx.RemoteProtocolError)):
                await http.get("/")
        async with _serve(cut) as url:
            pass  # closed: nobody listens there now
        async with _client(url) as http:
            with pytest.raises(httpx.ConnectError):
                await http.get("/")

    _run(test, uvloop)


@LOOPS
def test_cancelling_a_request_leaves_the_client_usable(uvloop: bool) -> None:
    """A request cancelled while it waits (anyio's deadline, a task group ending) raises no
    error of its own, and the next request works."""

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while head := await _request_head(reader):
            if b"/slow" in head:
                await asyncio.sleep(1)
            writer.write(_answer(b"{}"))
            await writer.drain()

    async def test() -> None:
        async with _serve(handler) as url, _client(url) as http:
            with anyio.move_on_after(0.1) as scope:
                await http.get("/slow")
            assert scope.cancelled_caught
            assert (await http.get("/fast")).status_code == 200

    _run(test, uvloop)
