"""The limiter against every shape of the S9 grid, on a fake clock with timing noise.

Each simulation sends through the real AdaptiveLimiter to the mock's own TokenBucket or
SlidingWindow. Requests reach the server up to 3 % of its interval late (a random delay per
request, so two requests paced exactly 1/R apart can arrive closer: the noise that makes a bucket
of one refuse). The goal is the issue's: at least 0.9 of the allowed rate and under 2 % of the
requests answered 429, in the steady state (after the first minute); the slow start's 429s are
bounded apart (at 5/s they alone would be 2 % of a short run).
"""

from __future__ import annotations

import random

import pytest

from lookervault.looker.throttle import AdaptiveLimiter
from lookervault.mock.limits import SlidingWindow, TokenBucket
from tests.looker.test_throttle import FakeTime, make

_NOISE = 0.03  # arrival delay, as a share of the server's interval 1/R
_SECONDS, _STEADY_FROM = 240.0, 60.0
_START_429S = 20  # 429s the slow start may cost beyond 2 % of the first minute's requests
_LOGIN_EVERY_S = 3.0  # tokens that live 3 s: a login (an urgent permit) each time


class ServerClock:
    """The server's clock: the arrival time of the request being admitted, never backwards."""

    def __init__(self, start: float) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def arrive(self, at: float) -> None:
        self.now = max(self.now, at)


async def run(
    limiter: AdaptiveLimiter,
    time: FakeTime,
    server: TokenBucket | SlidingWindow,
    arrival: ServerClock,
    *,
    interval: float,
    retry_after: float | None = None,
    faults: float = 0.0,
    logins: bool = False,
    seconds: float = _SECONDS,
    steady_from: float = _STEADY_FROM,
) -> tuple[float, float]:
    """One sender at latency 0: (admitted per second, share of 429s), both in the steady state
    (from *steady_from* seconds on; 0: the whole run, slow start included)."""
    noise = random.Random(12)
    start = time.now
    end, next_login = start + seconds, start + _LOGIN_EVERY_S
    admitted = answers = refused = early = sent_total = 0
    while time.now < end:
        urgent = logins and time.now >= next_login
        sent = await limiter.acquire(urgent=urgent)
        arrival.arrive(sent + noise.uniform(0.0, _NOISE * interval))
        steady = sent >= start + steady_from
        answers += steady
        sent_total += 1
        if not server.admit():
            refused += steady
            early += not steady
            wait = server.wait() if retry_after is None else retry_after
            limiter.on_rate_limited(wait, sent_at=sent)
            continue
        if urgent:
            next_login = sent + _LOGIN_EVERY_S
        admitted += steady
        if noise.random() < faults:  # a 5xx or a dropped connection: no verdict on the rate
            continue
        limiter.on_success(sent_at=sent)
    assert early <= _START_429S + 0.02 * (sent_total - answers)
    return admitted / (seconds - steady_from), refused / answers


@pytest.mark.parametrize("retry_after", [None, 1.0], ids=["plain", "retry-after"])
@pytest.mark.parametrize(
    ("rate", "burst"),
    [(rate, burst) for rate in (5, 40, 200) for burst in (1, rate / 4, rate, 4 * rate)],
)
@pytest.mark.anyio
async def test_token_bucket_with_timing_noise(
    rate: float, burst: float, retry_after: float | None
) -> None:
    """Every R x B of the grid, with and without Retry-After: 0.9+ of R, under 2 % 429s."""
    time = FakeTime()
    arrival = ServerClock(time.now)
    bucket = TokenBucket(rate, burst, arrival)
    achieved, share = await run(
        make(time), time, bucket, arrival, interval=1 / rate, retry_after=retry_after
    )
    assert achieved >= 0.9 * rate
    assert share < 0.02
    # the bucket's own ceiling (its rate, and its burst saved up before the steady state)
    assert achieved <= rate * 1.01 + burst / (_SECONDS - _STEADY_FROM)


@pytest.mark.parametrize("burst", [1, 1.25, 5, 20])
@pytest.mark.anyio
async def test_whole_cell_at_5_per_s_slow_start_included(burst: float) -> None:
    """R=5, the benchmark's whole 80 s cell (400 requests at R): the slow start's end and the
    steady state together stay under 2 % 429s. (Regrowth per second met the limit 40 x more
    often per request at 5/s than at 200/s, and the end of slow start took a 429 per 0.9 step.)"""
    time = FakeTime()
    arrival = ServerClock(time.now)
    bucket = TokenBucket(5, burst, arrival)
    achieved, share = await run(
        make(time), time, bucket, arrival, interval=1 / 5, seconds=80, steady_from=0
    )
    assert achieved >= 0.9 * 5
    assert share < 0.02


@pytest.mark.parametrize("per_minute", [300, 3000])
@pytest.mark.anyio
async def test_sliding_window_with_timing_noise(per_minute: int) -> None:
    """N per minute, whose 429s say when a slot frees: 0.9+ of N/60, under 2 % 429s."""
    time = FakeTime()
    arrival = ServerClock(time.now)
    window = SlidingWindow(per_minute, arrival)
    rate = per_minute / 60
    achieved, share = await run(make(time), time, window, arrival, interval=1 / rate)
    assert achieved >= 0.9 * rate
    assert share < 0.02


@pytest.mark.anyio
async def test_short_lived_tokens_with_faults() -> None:
    """R=40 B=10, a login every 3 s taking an urgent permit, 7 % of answers 5xx or dropped."""
    time = FakeTime()
    arrival = ServerClock(time.now)
    bucket = TokenBucket(40, 10, arrival)
    achieved, share = await run(
        make(time), time, bucket, arrival, interval=1 / 40, faults=0.07, logins=True
    )
    assert achieved >= 0.9 * 40
    assert share < 0.02


@pytest.mark.parametrize(("before", "seconds"), [(5.5, 200), (5.6, 300)])
@pytest.mark.anyio
async def test_a_ceiling_looker_no_longer_serves_is_left_within_two_429s(
    before: float, seconds: float
) -> None:
    """Looker's rate drops from *before* to 5/s behind a drained bucket of 20 while r climbs
    back toward the old ceiling: an isolated 429 stops the climb, the next one decreases, so
    the next 40 s stay under 2 % 429s. (The real R5-B20 cells met this after the slow start had
    measured a ceiling above R: 7 isolated 429s in 14 s, each taken for timing noise.)"""
    time = FakeTime()
    arrival = ServerClock(time.now)
    limiter = make(time)
    old = TokenBucket(before, 20, arrival)
    await run(limiter, time, old, arrival, interval=1 / before, seconds=seconds)
    bucket = TokenBucket(5, 20, arrival)
    while bucket.admit():
        pass
    answers, refused, end = 0, 0, time.now + 40
    while time.now < end:
        sent = await limiter.acquire()
        arrival.arrive(sent)
        answers += 1
        if bucket.admit():
            limiter.on_success(sent_at=sent)
        else:
            refused += 1
            limiter.on_rate_limited(None, sent_at=sent)
    assert refused < 0.02 * answers


@pytest.mark.parametrize("rate", [40, 200])
@pytest.mark.anyio
async def test_stalls_against_a_bucket_of_one(rate: float) -> None:
    """Every 5 s, 5 paced requests reach a bucket of one together (a stall of our loop or the
    network) and 4 are refused, their answers coming back together: the law holds 0.75+ of R
    (the stall's own 4 refusals per 5 s are 2 % at 40/s). Taking such a run for proof of a rate
    under 1/(their send span) held it near nothing."""
    time = FakeTime()
    arrival = ServerClock(time.now)
    limiter = make(time)
    bucket = TokenBucket(rate, 1, arrival)
    noise = random.Random(12)
    start, end = time.now, time.now + _SECONDS
    next_stall, admitted = start + 5, 0
    while time.now < end:
        if time.now >= next_stall:
            next_stall += 5
            sent = [await limiter.acquire() for _ in range(5)]
        else:
            sent = [await limiter.acquire()]
        arrival.arrive(sent[-1] + noise.uniform(0.0, _NOISE / rate))
        for at in sent:
            if bucket.admit():
                admitted += at >= start + _STEADY_FROM
                limiter.on_success(sent_at=at)
            else:
                limiter.on_rate_limited(None, sent_at=at)
    assert admitted / (_SECONDS - _STEADY_FROM) >= 0.75 * rate
