"""The limiter's slow start with requests in flight: its cost at 100 ms, its 429s at small buckets.

A fake wire answers each request a round trip after it leaves, with up to *slots* requests in
flight (the client's concurrency), so the ramp sees the round trips the real client sees; the
mock's own TokenBucket judges each request as it leaves, and a refused request's task waits
RETRY_WAIT_INITIAL_S before it sends again, as the client's retry does. All on a fake clock.
"""

from __future__ import annotations

import heapq

import anyio.lowlevel
import pytest

from lookervault.config import (
    RATE_SLOW_START_GAIN,
    RATE_START_PER_S,
    RATE_STOP_AND_WAIT_MAX_PER_S,
    RETRY_WAIT_INITIAL_S,
)
from lookervault.looker.throttle import AdaptiveLimiter
from lookervault.mock.limits import TokenBucket

_SLOTS = 32  # the CLI's default concurrency
_FAR, _LOOPBACK = 0.1, 0.001  # round trips, s: a Looker 100 ms away, the benchmarks' mock


class Wire:
    """A fake clock and network: each request is answered *round_trip* seconds after it leaves."""

    def __init__(
        self,
        round_trip: float,
        *,
        per_second: float | None = None,
        law: type[AdaptiveLimiter] = AdaptiveLimiter,
    ) -> None:
        self.now = 1000.0
        self.round_trip = round_trip
        self.limiter = law(clock=self, sleep=self.sleep, per_second=per_second)
        self.bucket: TokenBucket | None = None
        self.refused = 0
        self._answers: list[tuple[float, int, float, bool | None]] = []  # due, order, sent, served
        self._sent = 0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self._answer_until(self.now + max(0.0, seconds))
        await anyio.lowlevel.checkpoint()

    def _answer_until(self, until: float) -> None:
        while self._answers and self._answers[0][0] <= until:
            due, order, sent, served = heapq.heappop(self._answers)
            self.now = due
            if served:
                self.limiter.on_success(sent_at=sent)
            elif served is not None:  # refused: the task waits before its retry
                self.limiter.on_rate_limited(None, sent_at=sent)
                heapq.heappush(self._answers, (due + RETRY_WAIT_INITIAL_S, order, sent, None))
        self.now = max(self.now, until)

    async def send(self, requests: int, *, slots: int = _SLOTS) -> float:
        """Send *requests*, at most *slots* in flight; seconds until the last answer."""
        start = self.now
        for _ in range(requests):
            if len(self._answers) >= slots:
                self._answer_until(self._answers[0][0])
            sent = await self.limiter.acquire()
            served = self.bucket.admit() if self.bucket else True
            self.refused += not served
            self._sent += 1
            heapq.heappush(self._answers, (sent + self.round_trip, self._sent, sent, served))
        if self._answers:
            self._answer_until(max(due for due, *_ in self._answers))
        return self.now - start


class QuarterSecondStart(AdaptiveLimiter):
    """The slow start before round trips counted: RATE_SLOW_START_GAIN per held-back answer."""

    def _slow_start_step(self, round_trip: float | None) -> None:
        if self._held:
            self._set_rate(self._rate + RATE_SLOW_START_GAIN)


async def backup(wire: Wire) -> float:
    """A backup's shape at the start: a login, two requests, one, then every type's listing
    and pages at full concurrency. Seconds it takes."""
    return sum([await wire.send(n) for n in (1, 2, 1, 14, 2_470)])


@pytest.mark.anyio
async def test_at_100_ms_the_slow_start_costs_little() -> None:
    """100 ms away, a backup at the defaults takes at most 1.08 x as long as with a rate told;
    the quarter-second start takes 1.2 x."""
    told = await backup(Wire(_FAR, per_second=100_000))
    found = await backup(Wire(_FAR))
    before = await backup(Wire(_FAR, law=QuarterSecondStart))
    assert found <= 1.08 * told
    assert before > 1.15 * told  # the shape shows the cost the change removes


@pytest.mark.anyio
async def test_one_answer_lifts_the_rate_to_one_request_per_round_trip() -> None:
    """Stop and wait never bursts: after one answer r is 1/round trip, within the cap."""
    for round_trip in (_FAR, _LOOPBACK, 1.0):
        wire = Wire(round_trip)
        await wire.send(1)
        expected = max(RATE_START_PER_S, min(1 / round_trip, RATE_STOP_AND_WAIT_MAX_PER_S))
        assert wire.limiter.current_rate == pytest.approx(expected)


async def _round_trips_to_fill_the_slots(law: type[AdaptiveLimiter]) -> float:
    wire = Wire(_FAR, law=law)
    await wire.send(1)
    took = 0.0
    while wire.limiter.current_rate < _SLOTS / _FAR:
        took += await wire.send(_SLOTS)
    return took / _FAR


@pytest.mark.anyio
async def test_with_many_in_flight_the_rate_doubles_per_round_trip() -> None:
    """100 ms away with 32 slots, 32 in flight (320/s) in at most 12 round trips (the
    quarter-second start: over 20); at loopback r grows by RATE_SLOW_START_GAIN per answer."""
    assert await _round_trips_to_fill_the_slots(AdaptiveLimiter) <= 12
    assert await _round_trips_to_fill_the_slots(QuarterSecondStart) > 20
    near = Wire(_LOOPBACK)
    await near.send(1)
    before = near.limiter.current_rate
    await near.send(40)
    assert near.limiter.current_rate <= before + 40 * RATE_SLOW_START_GAIN


@pytest.mark.anyio
async def test_a_round_trip_our_cpu_lengthened_does_not_speed_the_start() -> None:
    """The network's round trip is the shortest seen: after a 1 ms answer, answers our busy
    event loop kept 200 ms still add RATE_SLOW_START_GAIN, not one more request in flight."""
    wire = Wire(_LOOPBACK)
    await wire.send(1)
    for _ in range(20):
        await wire.limiter.acquire()
        sent = await wire.limiter.acquire()  # held back: sent 1/r after the one before
        wire.now += 0.2
        before = wire.limiter.current_rate
        wire.limiter.on_success(sent_at=sent)
        assert wire.limiter.current_rate == pytest.approx(before + RATE_SLOW_START_GAIN)


@pytest.mark.parametrize(
    ("round_trip", "burst"),
    [(_LOOPBACK, 1), (_LOOPBACK, 20), (_FAR, 1)],
    ids=["loopback-B1", "loopback-B20", "100ms-B1"],
)
@pytest.mark.anyio
async def test_the_start_costs_a_small_bucket_no_more_429s(round_trip: float, burst: float) -> None:
    """5/s with a bucket of 1 or 20, 32 slots, 400 requests (80 s at 5/s): as few 429s as the
    quarter-second start (two more at most), and the rate ends near 5/s."""
    refused = {}
    for law in (AdaptiveLimiter, QuarterSecondStart):
        wire = Wire(round_trip, law=law)
        wire.bucket = TokenBucket(5, burst, wire)
        await wire.send(400)
        refused[law] = wire.refused
        assert 3.5 <= wire.limiter.current_rate <= 5.5
    assert refused[AdaptiveLimiter] <= refused[QuarterSecondStart] + 2
