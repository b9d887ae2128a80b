"""Tests for lookervault.looker.throttle: configured limits, shared pause, learned ceiling, probing."""

from __future__ import annotations

import math
import time

import anyio
import pytest

from lookervault.config import (
    RATE_BURST_S,
    RATE_CEILING_MARGIN,
    RATE_DECREASE_FACTOR,
    RATE_DECREASE_WINDOW_S,
    RATE_LIMIT_COOLOFF_S,
    RATE_MIN_PER_S,
    RATE_PROBE_INTERVAL_S,
    RATE_PROBE_SLOWDOWN_MAX,
    RATE_PROBE_STEP,
    RATE_PROBE_SUCCESSES,
    RATE_REFILL_S,
    RETRY_AFTER_MAX_S,
)
from lookervault.looker.throttle import AdaptiveLimiter

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


def probe(limiter: AdaptiveLimiter, clock: FakeClock, steps: int = 1, slowdown: int = 1) -> None:
    """Enough time and successes for *steps* probe steps at the given slowdown."""
    for _ in range(steps):
        clock.advance(RATE_PROBE_INTERVAL_S * slowdown)
        succeed(limiter, RATE_PROBE_SUCCESSES * slowdown)


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
    """With nothing served to learn from, a 429 halves the rate and pauses for Retry-After."""
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


def test_floor_never_exceeds_a_slower_configured_rate() -> None:
    """A configured rate below the floor stays in force after a 429."""
    limiter = AdaptiveLimiter(per_minute=3, clock=FakeClock())
    limiter.on_rate_limited(1.0)
    assert limiter.current_rate == limiter.configured_rate == 3 / 60


def test_probes_upward_in_small_steps_after_sustained_success() -> None:
    """Each run of successes raises a lowered rate by a small share, up to the configured limit."""
    clock = FakeClock()
    limiter = AdaptiveLimiter(per_second=10, clock=clock)
    limiter.on_rate_limited(1.0)
    clock.advance(1.0 + RATE_PROBE_INTERVAL_S)
    succeed(limiter, RATE_PROBE_SUCCESSES - 1)
    assert limiter.current_rate == 5.0
    succeed(limiter, 1)
    assert limiter.current_rate == pytest.approx(5.0 * (1 + RATE_PROBE_STEP))
    probe(limiter, clock, steps=100)
    assert limiter.current_rate == 10.0


def test_probes_wait_for_time_as_well_as_successes() -> None:
    """A fast stream of successes cannot probe faster than one step per interval."""
    clock = FakeClock()
    limiter = AdaptiveLimiter(per_second=10, clock=clock)
    limiter.on_rate_limited(0.0)
    succeed(limiter, RATE_PROBE_SUCCESSES * 10)  # all at once
    assert limiter.current_rate == 5.0
    clock.advance(RATE_PROBE_INTERVAL_S)
    succeed(limiter, 1)
    assert limiter.current_rate == pytest.approx(5.0 * (1 + RATE_PROBE_STEP))


def test_no_probing_while_answers_arrive_far_below_the_rate() -> None:
    """When we send well below the rate, success proves nothing about a higher limit."""
    clock = FakeClock()
    limiter = AdaptiveLimiter(per_second=100, clock=clock)
    limiter.on_rate_limited(0.0)  # 50/s
    for _ in range(RATE_PROBE_SUCCESSES * 3):
        clock.advance(1.0)  # one answer a second: something else holds us back
        limiter.on_success()
    assert limiter.current_rate == 50.0


def test_each_later_429_makes_probes_rarer() -> None:
    """Once Looker has confirmed its limit, probes wait twice as long, up to a cap."""
    clock = FakeClock()
    limiter = AdaptiveLimiter(per_second=10, clock=clock)
    limiter.on_rate_limited(0.0)  # learns a ceiling: probes at the base pace
    probe(limiter, clock)
    assert limiter.current_rate == pytest.approx(5.0 * (1 + RATE_PROBE_STEP))
    for _ in range(10):  # confirmed again and again
        clock.advance(RATE_DECREASE_WINDOW_S + 0.1)
        limiter.on_rate_limited(0.0)
    lowered = limiter.current_rate
    probe(limiter, clock, slowdown=RATE_PROBE_SLOWDOWN_MAX // 2)
    assert limiter.current_rate == lowered
    probe(limiter, clock, slowdown=RATE_PROBE_SLOWDOWN_MAX)
    assert limiter.current_rate == pytest.approx(lowered * (1 + RATE_PROBE_STEP))


def test_successes_during_pause_do_not_count() -> None:
    """Answers that arrive while paused do not raise the rate."""
    clock = FakeClock()
    limiter = AdaptiveLimiter(per_second=10, clock=clock)
    limiter.on_rate_limited(5.0)
    succeed(limiter, RATE_PROBE_SUCCESSES * 3)
    assert limiter.current_rate == 5.0


def test_429_resets_the_success_run() -> None:
    """A 429 in the middle of a run of successes restarts the count."""
    clock = FakeClock()
    limiter = AdaptiveLimiter(per_second=10, clock=clock)
    limiter.on_rate_limited(0.0)
    succeed(limiter, RATE_PROBE_SUCCESSES - 1)
    limiter.on_rate_limited(0.0)  # same burst: no decrease, but the run restarts
    succeed(limiter, RATE_PROBE_SUCCESSES - 1)
    assert limiter.current_rate == 5.0


@pytest.mark.anyio
async def test_unconfigured_decrease_without_successes_halves_the_sent_rate() -> None:
    """With nothing served to learn from, the first 429 halves the rate we were sending."""
    clock = FakeClock()
    limiter = AdaptiveLimiter(clock=clock)
    for _ in range(40):  # 40 requests over 4 s = 10/s
        await limiter.acquire()
        clock.advance(0.1)
    limiter.on_rate_limited(0.0)
    assert limiter.current_rate == pytest.approx(10.0 * RATE_DECREASE_FACTOR)


async def start_with_a_burst(
    limiter: AdaptiveLimiter, clock: FakeClock, *, served: int, refused: int, span: float
) -> float:
    """Send served + refused requests evenly over *span* s; the served ones succeed."""
    step = span / (served + refused)
    for _ in range(served):
        await limiter.acquire()
        clock.advance(step)
        limiter.on_success()
    sent_at = clock.now
    for _ in range(refused):
        await limiter.acquire()
        clock.advance(step)
    return sent_at


@pytest.mark.anyio
async def test_first_429_learns_what_looker_served_counting_its_refill() -> None:
    """The first 429 spreads what Looker served over its burst's refill time (Retry-After)."""
    clock = FakeClock()
    limiter = AdaptiveLimiter(clock=clock)
    sent_at = await start_with_a_burst(limiter, clock, served=60, refused=16, span=0.2)
    limiter.on_rate_limited(1.0, sent_at=sent_at)
    # Sending 76 requests in 0.2 s, not 380/s: Looker served 60 over 0.2 s + 1 s.
    assert limiter.ceiling == pytest.approx(50.0)
    assert limiter.current_rate == pytest.approx(50.0 * RATE_CEILING_MARGIN)


@pytest.mark.anyio
async def test_without_retry_after_the_refill_time_is_assumed() -> None:
    """Without Retry-After the pause is the cool-off, but the refill counts as RATE_REFILL_S."""
    clock = FakeClock()
    limiter = AdaptiveLimiter(clock=clock)
    sent_at = await start_with_a_burst(limiter, clock, served=60, refused=16, span=0.2)
    limiter.on_rate_limited(None, sent_at=sent_at)
    assert limiter.paused_until == clock.now + RATE_LIMIT_COOLOFF_S
    assert limiter.ceiling == pytest.approx(60 / (0.2 + RATE_REFILL_S))


@pytest.mark.anyio
async def test_next_429_learns_from_what_was_served_after_the_pause() -> None:
    """A later 429 learns the successes since the pause ended, not stragglers during it."""
    clock = FakeClock()
    limiter = AdaptiveLimiter(clock=clock)
    sent_at = await start_with_a_burst(limiter, clock, served=60, refused=16, span=0.2)
    limiter.on_rate_limited(1.0, sent_at=sent_at)
    succeed(limiter, 5)  # answers to requests sent before the 429
    clock.advance(1.0)
    for _ in range(200):  # 4 s after the pause: its refilled burst, then 40/s
        clock.advance(4.0 / 200)
        limiter.on_success()
    limiter.on_rate_limited(1.0, sent_at=clock.now - 0.01)
    assert limiter.ceiling == pytest.approx(200 / (4.0 + 1.0))
    assert limiter.current_rate == pytest.approx(40.0 * RATE_CEILING_MARGIN)


@pytest.mark.anyio
async def test_a_429_always_lowers_the_rate() -> None:
    """However many answers arrived, after a 429 the rate is below the rate Looker refused."""
    clock = FakeClock()
    limiter = AdaptiveLimiter(clock=clock)
    for _ in range(10):  # 10/s sent
        await limiter.acquire()
        clock.advance(0.1)
    succeed(limiter, 1000)  # an impossible count: the rate must still come down
    limiter.on_rate_limited(1.0)
    assert limiter.current_rate == pytest.approx(10.0 * RATE_CEILING_MARGIN)


def test_ceiling_never_above_the_configured_rate() -> None:
    """The learned ceiling is capped by the configured limits."""
    clock = FakeClock()
    limiter = AdaptiveLimiter(per_second=20, clock=clock)
    limiter.on_success()
    clock.advance(0.5)
    succeed(limiter, 1000)
    limiter.on_rate_limited(1.0)
    assert limiter.ceiling == 20.0
    assert limiter.current_rate == pytest.approx(20.0 * RATE_CEILING_MARGIN)


def test_unconfigured_probing_keeps_climbing() -> None:
    """Without a configured limit, sustained success keeps probing above the learned ceiling."""
    clock = FakeClock()
    limiter = AdaptiveLimiter(clock=clock)
    limiter.on_rate_limited(0.0)  # nothing sent or served: the floor rate
    assert limiter.current_rate == RATE_MIN_PER_S
    steps = 20
    probe(limiter, clock, steps=steps)
    expected = RATE_MIN_PER_S * (1 + RATE_PROBE_STEP) ** steps
    assert limiter.current_rate == pytest.approx(expected)


@pytest.mark.anyio
async def test_rate_change_does_not_refill_the_burst() -> None:
    """A probe step keeps the adaptive bucket's level: a fresh full bucket would burst."""
    clock = FakeClock()
    limiter = AdaptiveLimiter(per_second=100, clock=clock)
    limiter.on_rate_limited(0.0)  # 50/s, with a burst of RATE_BURST_S worth
    clock.advance(RATE_PROBE_INTERVAL_S)
    burst = math.floor(50.0 * RATE_BURST_S)
    assert await count_granted(limiter) == burst  # the fake clock stands still: no refill
    succeed(limiter, RATE_PROBE_SUCCESSES)
    assert limiter.current_rate == pytest.approx(50.0 * (1 + RATE_PROBE_STEP))
    assert await count_granted(limiter) == 0
    clock.advance(1.0)  # refills at the rate, up to the burst
    assert await count_granted(limiter) == math.floor(limiter.current_rate * RATE_BURST_S)


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
