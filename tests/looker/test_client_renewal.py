"""Token renewal under the real limiter: waiting requests spend no permits, nothing bursts."""

from __future__ import annotations

import anyio
import httpx
import pytest

from lookervault.looker.client import LookerClient
from lookervault.looker.throttle import AdaptiveLimiter
from tests.looker.fake_looker import TOKEN_LIFETIME_S, FakeClock, FakeLooker, settings

RATE = 1000.0  # configured, so the limiter starts at it: the test waits only milliseconds
WAITERS = 5


class RecordingLimiter(AdaptiveLimiter):
    """The real limiter, noting every permit it grants: (urgent?, send time)."""

    def __init__(self) -> None:
        super().__init__(per_second=RATE)
        self.granted: list[tuple[bool, float]] = []

    async def acquire(self, *, urgent: bool = False) -> float:
        sent_at = await super().acquire(urgent=urgent)
        self.granted.append((urgent, sent_at))
        return sent_at


@pytest.mark.anyio
async def test_requests_waiting_for_a_login_hold_no_permits(
    looker: FakeLooker, clock: FakeClock
) -> None:
    """While a login renews the token, waiting requests take no permits; then they leave paced."""
    gate = anyio.Event()
    logins = 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal logins
        if request.url.path.endswith("/login"):
            logins += 1
            if logins == 2:  # the renewal: hold it until the test has looked
                await gate.wait()
        return looker(request)

    limiter = RecordingLimiter()
    transport = httpx.MockTransport(handler)
    client = LookerClient(settings(), limiter=limiter, transport=transport, clock=clock)
    async with client, anyio.create_task_group() as tg:
        clock.now += TOKEN_LIFETIME_S  # the token is due for renewal
        for _ in range(WAITERS):
            tg.start_soon(client.get_json, "/user")
        await anyio.wait_all_tasks_blocked()
        assert [urgent for urgent, _ in limiter.granted] == [True, True]  # the two logins
        gate.set()
    after = limiter.granted[2:]
    assert [urgent for urgent, _ in after] == [False] * WAITERS
    times = [at for _, at in limiter.granted[1:]]
    assert min(b - a for a, b in zip(times, times[1:], strict=False)) >= 1 / RATE - 1e-9
    assert len(looker.requests_to("/user")) == WAITERS
