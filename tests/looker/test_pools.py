"""Tests for lookervault.looker.pools: connections split across small clients, requests to the least busy."""

from __future__ import annotations

import anyio
import httpx
import pytest

from lookervault.looker.pools import PooledClients, open_pooled_clients


class _Recorder:
    """Builds clients whose transport answers with the client's number, once released."""

    def __init__(self) -> None:
        self.sizes: list[int] = []
        self.clients: list[httpx.AsyncClient] = []
        self.release = anyio.Event()

    def make(self, connections: int) -> httpx.AsyncClient:
        number = len(self.sizes)
        self.sizes.append(connections)

        async def answer(request: httpx.Request) -> httpx.Response:
            await self.release.wait()
            return httpx.Response(200, text=str(number))

        client = httpx.AsyncClient(transport=httpx.MockTransport(answer), base_url="http://x")
        self.clients.append(client)
        return client


@pytest.mark.parametrize(
    ("concurrency", "per_pool", "sizes"),
    [(16, 4, [4, 4, 4, 4]), (10, 4, [4, 3, 3]), (3, 4, [3]), (1, 4, [1]), (5, 100, [5])],
)
def test_connections_split_evenly(concurrency: int, per_pool: int, sizes: list[int]) -> None:
    """Every connection is given to exactly one client, none holds more than per_pool."""
    recorder = _Recorder()
    PooledClients(recorder.make, concurrency, per_pool)
    assert recorder.sizes == sizes


@pytest.mark.anyio
async def test_requests_in_flight_spread_over_clients() -> None:
    """Eight requests in flight over two 4-connection clients: four through each."""
    recorder = _Recorder()
    pools = PooledClients(recorder.make, 8, 4)
    answers: list[str] = []

    async def one() -> None:
        response = await pools.request("GET", "/thing")
        answers.append(response.text)

    async with anyio.create_task_group() as tg:
        for _ in range(8):
            tg.start_soon(one)
        await anyio.wait_all_tasks_blocked()
        recorder.release.set()
    await pools.aclose()
    assert sorted(answers) == ["0"] * 4 + ["1"] * 4
    assert all(client.is_closed for client in recorder.clients)


@pytest.mark.anyio
async def test_busy_count_released_after_an_error() -> None:
    """A request that raised frees its slot: with all idle again, the first client is chosen."""
    recorder = _Recorder()
    pools = PooledClients(recorder.make, 4, 2)
    with anyio.move_on_after(0.01):  # cancelled while client 0 is busy with it
        await pools.request("GET", "/")
    recorder.release.set()
    answers = [(await pools.request("GET", "/")).text for _ in range(3)]
    await pools.aclose()
    assert answers == ["0", "0", "0"]


@pytest.mark.anyio
async def test_cookies_are_kept_but_only_answers_that_set_one_are_parsed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An answer with Set-Cookie still puts its cookie in the jar, and the next request sends
    it; answers without one never reach httpx's (costly) cookie parsing."""
    parsed: list[str] = []
    original = httpx.Cookies.extract_cookies

    def counting(self: httpx.Cookies, response: httpx.Response) -> None:
        parsed.append(response.request.url.path)
        original(self, response)

    monkeypatch.setattr(httpx.Cookies, "extract_cookies", counting)
    sent: list[str | None] = []

    async def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request.headers.get("cookie"))
        if request.url.path == "/sticky":
            return httpx.Response(200, headers={"Set-Cookie": "lb=node2; Path=/"}, json={})
        return httpx.Response(200, json={})

    http = open_pooled_clients(
        "http://looker.test",
        timeout=5,
        verify_ssl=True,
        concurrency=1,
        transport=httpx.MockTransport(answer),
    )
    try:
        for path in ("/plain", "/sticky", "/plain", "/plain"):
            assert (await http.request("GET", path)).status_code == 200
    finally:
        await http.aclose()
    assert parsed == ["/sticky"]
    assert sent == [None, None, "lb=node2", "lb=node2"]
