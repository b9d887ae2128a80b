"""Tests for lookervault.throttle: configured limits, shared pause, decrease and recovery."""

from __future__ import annotations

import time

import anyio
import pytest

from lookervault.config import (
    RATE_CEILING_MARGIN,
    RATE_DECREASE_FACTOR,
    RATE_DECREASE_WINDOW_S,
    RATE_LIMIT_COOLOFF_S,
    RATE_MIN_PER_S,
    RATE_PROBE_STEP,
    RATE_PROBE_SUCCESSES,
    RATE_RECOVERY_STEP,
    RATE_RECOVERY_SUCCESSES,
    RETRY_AFTER_MAX_S,
)
from lookervault.throttle import AdaptiveLimiter

WINDOW_S = 0.2  # real time given to a burst of acquisitions


class FakeClock:
    """A clock that only moves when told to."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


async def count_granted(limiter: AdaptiveLimiter, window: float = WINDOW_S) -> int:
    """Acquire as fast as possible for *window* real seconds; return how many got through."""
    granted = 0
    with anyio.move_on_after(window):
        while True:
            await limiter.acquire()
            granted += 1
    return granted


def succeed(limiter: AdaptiveLimiter, times: int) -> None:
    for _ in range(times):
        limiter.on_success()


def test_unlimited_by_default() -> None:
    """Without limits the current rate is None (unlimited)."""
    limiter = AdaptiveLimiter(clock=FakeClock())
    assert limiter.current_rate is None
    assert limiter.configured_rate is None


def test_configured_rate_is_the_stricter_limit() -> None:
    """The rate in force is the stricter of per_second and per_minute/60."""
    assert AdaptiveLimiter(per_second=10, per_minute=120).current_rate == 2.0
    assert AdaptiveLimiter(per_second=1, per_minute=600).current_rate == 1.0


@pytest.mark.parametrize(
    "kwargs", [{"per_second": 0}, {"per_minute": -1}, {"per_second": float("nan")}]
)
def test_rejects_non_positive_rates(kwargs: dict[str, float]) -> None:
    """Zero, negative and NaN rates are refused."""
    with pytest.raises(ValueError, match="positive"):
        AdaptiveLimiter(**kwargs)


def test_decrease_on_429_with_retry_after() -> None:
    """A 429 halves the rate and pauses everyone for Retry-After seconds."""
    clock = FakeClock()
    limiter = AdaptiveLimiter(per_second=10, clock=clock)
    limiter.on_rate_limited(3.0)
    assert limiter.current_rate == 10 * RATE_DECREASE_FACTOR
    assert limiter.paused_until == clock.now + 3.0


def test_default_cooloff_without_retry_after() -> None:
    """Without Retry-After the pause is the default cool-off."""
    clock = FakeClock()
    limiter = AdaptiveLimiter(per_second=10, clock=clock)
    limiter.on_rate_limited(None)
    assert limiter.paused_until == clock.now + RATE_LIMIT_COOLOFF_S


def test_retry_after_is_capped() -> None:
    """An absurd Retry-After cannot stall the backup for hours."""
    clock = FakeClock()
    limiter = AdaptiveLimiter(clock=clock)
    limiter.on_rate_limited(86400.0)
    assert limiter.paused_until == clock.now + RETRY_AFTER_MAX_S


def test_burst_of_429s_counts_once() -> None:
    """Many 429s for requests sent before the slowdown make one decrease."""
    clock = FakeClock()
    limiter = AdaptiveLimiter(per_second=16, clock=clock)
    for _ in range(10):
        limiter.on_rate_limited(1.0)
        clock.advance(0.01)
    assert limiter.current_rate == 8.0


def test_429s_during_pause_count_once() -> None:
    """429s arriving while everyone is paused answer old requests: no extra decrease."""
    clock = FakeClock()
    limiter = AdaptiveLimiter(per_second=16, clock=clock)
    limiter.on_rate_limited(10.0)
    clock.advance(RATE_DECREASE_WINDOW_S + 5.0)
    limiter.on_rate_limited(None)
    assert limiter.current_rate == 8.0


def test_new_429_after_the_window_decreases_again() -> None:
    """A 429 after the burst window and pause is a new signal: halve again."""
    clock = FakeClock()
    limiter = AdaptiveLimiter(per_second=16, clock=clock)
    limiter.on_rate_limited(0.0)
    clock.advance(RATE_DECREASE_WINDOW_S + 0.1)
    limiter.on_rate_limited(0.0)
    assert limiter.current_rate == 4.0


def test_rate_never_drops_below_floor() -> None:
    """Repeated 429s stop at the minimum rate, so a backup always progresses."""
    clock = FakeClock()
    limiter = AdaptiveLimiter(per_second=1, clock=clock)
    for _ in range(20):
        limiter.on_rate_limited(0.0)
        clock.advance(RATE_DECREASE_WINDOW_S + 0.1)
    assert limiter.current_rate == RATE_MIN_PER_S


def test_recovery_after_sustained_success() -> None:
    """Runs of successes climb a tenth of the learned ceiling at a time, then probe up to the limit."""
    clock = FakeClock()
    limiter = AdaptiveLimiter(per_second=10, clock=clock)
    limiter.on_rate_limited(1.0)
    clock.advance(1.0)
    ceiling = 10 * RATE_CEILING_MARGIN
    succeed(limiter, RATE_RECOVERY_SUCCESSES - 1)
    assert limiter.current_rate == 5.0
    succeed(limiter, 1)
    assert limiter.current_rate == pytest.approx(5.0 + ceiling * RATE_RECOVERY_STEP)
    succeed(limiter, RATE_RECOVERY_SUCCESSES * 10 + RATE_PROBE_SUCCESSES * 10)
    assert limiter.current_rate == 10.0


def test_successes_during_pause_do_not_count() -> None:
    """Answers that arrive while paused do not raise the rate."""
    clock = FakeClock()
    limiter = AdaptiveLimiter(per_second=10, clock=clock)
    limiter.on_rate_limited(5.0)
    succeed(limiter, RATE_RECOVERY_SUCCESSES * 3)
    assert limiter.current_rate == 5.0


def test_429_resets_the_success_run() -> None:
    """A 429 in the middle of a run of successes restarts the count."""
    clock = FakeClock()
    limiter = AdaptiveLimiter(per_second=10, clock=clock)
    limiter.on_rate_limited(0.0)
    succeed(limiter, RATE_RECOVERY_SUCCESSES - 1)
    limiter.on_rate_limited(0.0)  # same burst: no decrease, but the run restarts
    succeed(limiter, RATE_RECOVERY_SUCCESSES - 1)
    assert limiter.current_rate == 5.0


@pytest.mark.anyio
async def test_unconfigured_decrease_starts_from_observed_rate() -> None:
    """With no limit set, the first 429 halves the rate actually observed."""
    clock = FakeClock()
    limiter = AdaptiveLimiter(clock=clock)
    for _ in range(40):  # 40 requests over 4 s = 10/s
        await limiter.acquire()
        clock.advance(0.1)
    limiter.on_rate_limited(0.0)
    assert limiter.current_rate == pytest.approx(5.0)


@pytest.mark.anyio
async def test_unconfigured_recovery_stops_below_the_refused_rate_then_probes() -> None:
    """With no limit set, recovery climbs to just below the refused rate, then probes slowly."""
    clock = FakeClock()
    limiter = AdaptiveLimiter(clock=clock)
    for _ in range(40):  # 10/s refused
        await limiter.acquire()
        clock.advance(0.1)
    limiter.on_rate_limited(0.0)
    clock.advance(1.0)
    ceiling = 10.0 * RATE_CEILING_MARGIN
    succeed(limiter, RATE_RECOVERY_SUCCESSES * 5)  # 5 -> 9.5 in steps of 0.95
    assert limiter.current_rate == pytest.approx(ceiling)  # not back to unlimited
    succeed(limiter, RATE_PROBE_SUCCESSES)
    assert limiter.current_rate == pytest.approx(ceiling * (1 + RATE_PROBE_STEP))


@pytest.mark.anyio
async def test_acquire_waits_out_the_pause() -> None:
    """No permit is granted while paused; one is once the pause is over."""
    clock = FakeClock()
    limiter = AdaptiveLimiter(clock=clock)
    limiter.on_rate_limited(30.0)
    with anyio.move_on_after(0.05) as scope:
        await limiter.acquire()
    assert scope.cancelled_caught
    clock.advance(30.0)
    with anyio.fail_after(5):
        await limiter.acquire()


@pytest.mark.anyio
async def test_per_second_limit_respected() -> None:
    """No more than the burst plus the rate times the elapsed time is granted."""
    limiter = AdaptiveLimiter(per_second=5, clock=time.monotonic)
    started = time.monotonic()
    granted = await count_granted(limiter)
    elapsed = time.monotonic() - started
    assert 1 <= granted <= 5 + 5 * elapsed


@pytest.mark.anyio
async def test_per_minute_limit_respected() -> None:
    """With both limits set, the per-minute budget caps a fast per-second one."""
    limiter = AdaptiveLimiter(per_second=100, per_minute=3, clock=time.monotonic)
    started = time.monotonic()
    granted = await count_granted(limiter)
    elapsed = time.monotonic() - started
    assert 1 <= granted <= 3 + 3 / 60 * elapsed


@pytest.mark.anyio
async def test_decreased_rate_is_enforced() -> None:
    """After a 429 the lowered rate limits acquisitions even with no limit configured."""
    clock = FakeClock()
    limiter = AdaptiveLimiter(clock=clock)
    limiter.on_rate_limited(1.0)  # nothing observed yet: the floor rate applies
    clock.advance(1.0)
    assert limiter.current_rate == RATE_MIN_PER_S
    started = time.monotonic()
    granted = await count_granted(limiter)
    elapsed = time.monotonic() - started
    assert 1 <= granted <= 1 + RATE_MIN_PER_S * elapsed  # a bucket holding one permit


def test_429_for_a_request_sent_after_the_decrease_decreases_again() -> None:
    """With send times, only 429s for requests that left before the last decrease are one burst."""
    clock = FakeClock()
    limiter = AdaptiveLimiter(per_second=16, clock=clock)
    sent_before = limiter.now()
    clock.advance(0.01)
    limiter.on_rate_limited(0.0, sent_at=sent_before)
    assert limiter.current_rate == 8.0
    limiter.on_rate_limited(0.0, sent_at=sent_before)  # answered the same burst
    assert limiter.current_rate == 8.0
    clock.advance(0.5)  # still inside the old time window, but sent after the decrease
    limiter.on_rate_limited(0.0, sent_at=limiter.now() - 0.1)
    assert limiter.current_rate == 4.0
