"""One adaptive request-rate limiter shared by every producer talking to Looker."""

from __future__ import annotations

import logging
import math
import time
from collections import deque
from collections.abc import Callable

import anyio
from aiolimiter import AsyncLimiter

from lookervault.config import (
    RATE_BURST_S,
    RATE_CEILING_MARGIN,
    RATE_DECREASE_FACTOR,
    RATE_DECREASE_WINDOW_S,
    RATE_LIMIT_COOLOFF_S,
    RATE_MIN_PER_S,
    RATE_OBSERVE_WINDOW_S,
    RATE_PROBE_INTERVAL_S,
    RATE_PROBE_MIN_USE,
    RATE_PROBE_SLOWDOWN_MAX,
    RATE_PROBE_STEP,
    RATE_PROBE_SUCCESSES,
    RATE_REFILL_S,
    RETRY_AFTER_MAX_S,
)

__all__ = ["AdaptiveLimiter"]

logger = logging.getLogger(__name__)

_SECOND = 1.0
_MINUTE = 60.0


class AdaptiveLimiter:
    """Caps the request rate, and slows every producer down together when Looker answers 429.

    The configured limits (``per_second``, which is also the burst size, and ``per_minute``)
    are always respected. On a 429 every caller pauses until the Retry-After delay (or a
    default cool-off) has passed; 429s for requests sent before the slowdown count once.

    A 429 says Looker's burst is spent. It was spent at the previous 429 too (or full at the
    start), so the successes since then (since that pause ended), spread over that time plus
    the time Looker takes to refill its burst (Retry-After, or RATE_REFILL_S without one), are
    the rate it sustains: the ceiling. Counting answers, not requests sent, keeps the start's
    burst and the requests it refused from inflating it. The rate drops to a little under the
    ceiling, by at most half (a ceiling learned while idle or in a storm can be far too low),
    and always below the rate Looker refused.

    After the pause, sustained success probes upward in small steps, so a raised limit is
    found; each later 429, Looker confirming its limit, makes the probes rarer. The adaptive
    rate is a token bucket with a short burst that a rate change does not refill.

    Not thread-safe: call it from the event loop only (the client does).
    """

    def __init__(
        self,
        *,
        per_second: float | None = None,
        per_minute: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        for name, value in (("per_second", per_second), ("per_minute", per_minute)):
            if value is not None and not (math.isfinite(value) and value > 0):
                raise ValueError(f"{name} must be a positive number, not {value!r}")
        self._clock = clock
        self._fixed = [
            _bucket(count, period)
            for count, period in ((per_second, _SECOND), (per_minute, _MINUTE))
            if count is not None
        ]
        self._configured = _combined_rate(per_second, per_minute)
        self._rate = self._configured
        self._ceiling: float | None = None
        self._pacer: _Pacer | None = None
        self._pause_until = -math.inf
        self._burst_until = -math.inf
        self._decreased_at = -math.inf
        self._started = math.inf
        self._successes = 0
        self._probed_at = -math.inf
        self._slowdown = 1  # probes wait this many times RATE_PROBE_SUCCESSES and _INTERVAL_S
        self._sent: deque[float] = deque()
        self._served: deque[float] = deque()

    @property
    def current_rate(self) -> float | None:
        """Requests per second now in force (None: unlimited)."""
        return self._rate

    @property
    def configured_rate(self) -> float | None:
        """The steady rate the configured limits allow (None: unlimited)."""
        return self._configured

    @property
    def ceiling(self) -> float | None:
        """The sustained rate learned from the last 429 (None: no 429 yet)."""
        return self._ceiling

    @property
    def paused_until(self) -> float:
        """Clock time before which no request is let through (-inf: not paused)."""
        return self._pause_until

    async def acquire(self) -> None:
        """Wait for permission to send one request."""
        while True:
            await self._wait_pause()
            for limiter in self._fixed:
                await limiter.acquire()
            if self._pacer is not None:
                await self._pacer.acquire()
            # A 429 paused everyone (and may have set a rate) while we waited: queue again.
            if self._clock() >= self._pause_until:
                break
        self._record(self._sent, self._clock())

    def now(self) -> float:
        """The limiter's clock: the client stamps each request's send time with it."""
        return self._clock()

    def on_rate_limited(self, retry_after: float | None, *, sent_at: float | None = None) -> None:
        """Record a 429: pause everyone, and slow down unless this burst already did.

        With `sent_at` (when the refused request left), a 429 belongs to the burst already
        answered exactly when its request left before the last decrease; without it, 429s
        within a short window of the decrease do.
        """
        now = self._clock()
        if sent_at is not None:
            same_burst = sent_at < self._decreased_at
        else:
            same_burst = now < self._burst_until
        self._successes = 0
        if same_burst:
            self._pause_until = max(self._pause_until, now + _pause_for(retry_after))
            self._burst_until = max(self._burst_until, self._pause_until)
            return
        served = self._served_rate(now, retry_after)
        self._pause_until = max(self._pause_until, now + _pause_for(retry_after))
        # Nothing is sent during the pause, so 429s until it ends answer older requests.
        self._burst_until = max(now + RATE_DECREASE_WINDOW_S, self._pause_until)
        self._decreased_at = now
        self._decrease(now, served)

    def on_success(self) -> None:
        """Record a success; enough of them in a row raise a lowered rate one small step."""
        now = self._clock()
        self._record(self._served, now)
        if self._rate is None:
            return
        if self._configured is not None and self._rate >= self._configured:
            return
        if now < self._pause_until:
            return  # answers to requests sent before the pause prove nothing
        self._successes += 1
        if self._successes < RATE_PROBE_SUCCESSES * self._slowdown:
            return
        if now - self._probed_at < RATE_PROBE_INTERVAL_S * self._slowdown:
            return
        self._successes = 0
        self._probed_at = now
        # Successes well below the rate say nothing about a higher limit: rising anyway
        # would leave the rate meaningless (and a later decrease from it ineffective).
        if self._rate_of(self._served, now) >= self._rate * RATE_PROBE_MIN_USE:
            self._probe()

    def __repr__(self) -> str:
        return (
            f"<AdaptiveLimiter rate={self._rate!r} ceiling={self._ceiling!r}"
            f" configured={self._configured!r}>"
        )

    async def _wait_pause(self) -> None:
        # A deadline, not an event: a later 429 may push it back while we sleep.
        while (delay := self._pause_until - self._clock()) > 0:  # noqa: ASYNC110
            await anyio.sleep(delay)

    def _record(self, times: deque[float], now: float) -> None:
        self._started = min(self._started, now)
        times.append(now)
        horizon = now - RATE_OBSERVE_WINDOW_S
        while times and times[0] < horizon:
            times.popleft()

    def _rate_of(self, times: deque[float], now: float) -> float:
        """Events per second lately (requests sent, or answers)."""
        horizon = now - RATE_OBSERVE_WINDOW_S
        count = sum(1 for at in times if at >= horizon)
        span = min(RATE_OBSERVE_WINDOW_S, now - self._started)
        return count / max(span, _SECOND)

    def _served_rate(self, now: float, retry_after: float | None) -> float:
        """Looker's sustained rate, judged at a 429 that says its burst is spent.

        Its burst was also spent at the previous 429 (or full at the first request), so since
        then it served what it refilled: the successes over the time we were allowed to send
        plus the time it took to refill that burst (about this 429's Retry-After).
        """
        start = max(self._decreased_at, self._started, now - RATE_OBSERVE_WINDOW_S)
        resumed = max(start, self._pause_until)  # answers before that are to older requests
        served = sum(1 for answered in self._served if answered > resumed)
        return served / max(now - resumed + _refill_for(retry_after), _SECOND)

    def _decrease(self, now: float, served: float) -> None:
        sending = self._rate if self._rate is not None else self._rate_of(self._sent, now)
        ceiling = self._learn_ceiling(served)
        rate = max(ceiling * RATE_CEILING_MARGIN, sending * RATE_DECREASE_FACTOR)
        # Looker refused `sending`: whatever it served, run below it from now on.
        rate = max(RATE_MIN_PER_S, min(rate, sending * RATE_CEILING_MARGIN))
        self._set_rate(rate if self._configured is None else min(rate, self._configured))
        logger.warning(
            "Looker rate limit hit: pausing %.1f s, then %.2f requests/s for all workers"
            " (Looker served %.2f/s)",
            self._pause_until - now,
            self._rate,
            served,
        )

    def _learn_ceiling(self, served: float) -> float:
        ceiling = max(served, RATE_MIN_PER_S)
        if self._configured is not None:
            ceiling = min(ceiling, self._configured)
        if self._ceiling is not None:  # Looker confirmed a limit again: test it less often
            self._slowdown = min(self._slowdown * 2, RATE_PROBE_SLOWDOWN_MAX)
        self._probed_at = self._pause_until
        self._ceiling = ceiling
        return ceiling

    def _probe(self) -> None:
        assert self._rate is not None
        rate = self._rate * (1 + RATE_PROBE_STEP)
        if self._configured is not None and rate >= self._configured * (1 - 1e-9):
            self._set_rate(self._configured)
            logger.info("rate limit recovered: back to %s requests/s", self._configured)
            return
        self._set_rate(rate)
        logger.debug("rate limit probe: %.2f requests/s", rate)

    def _set_rate(self, rate: float | None) -> None:
        self._rate = rate
        if rate is None or (self._configured is not None and rate >= self._configured):
            self._pacer = None  # the configured limits alone apply
        elif self._pacer is None:
            self._pacer = _Pacer(rate, self._clock)
        else:
            self._pacer.set_rate(rate)


class _Pacer:
    """A token bucket whose rate can change without refilling it (a new bucket would burst)."""

    def __init__(self, rate: float, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._lock = anyio.Lock()  # one waiter sleeps; the others queue behind it in order
        self._rate = rate
        self._tokens = self._capacity()
        self._checked = clock()

    def set_rate(self, rate: float) -> None:
        self._refill()
        self._rate = rate
        self._tokens = min(self._tokens, self._capacity())

    async def acquire(self) -> None:
        async with self._lock:
            # The rate may change while we sleep: recompute rather than wait for an event.
            while (missing := 1.0 - self._refill()) > 0:  # noqa: ASYNC110
                await anyio.sleep(missing / self._rate)
            self._tokens -= 1.0

    def _capacity(self) -> float:
        return max(1.0, self._rate * RATE_BURST_S)

    def _refill(self) -> float:
        now = self._clock()
        elapsed = max(0.0, now - self._checked)
        self._tokens = min(self._capacity(), self._tokens + elapsed * self._rate)
        self._checked = now
        return self._tokens


def _bucket(count: float, period: float) -> AsyncLimiter:
    """A leaky bucket of *count* permits per *period*; stretched so it holds at least one."""
    if count < 1:
        period, count = period / count, 1.0
    return AsyncLimiter(count, period)


def _combined_rate(per_second: float | None, per_minute: float | None) -> float | None:
    rates = [rate for rate in (per_second, per_minute and per_minute / _MINUTE) if rate]
    return min(rates) if rates else None


def _pause_for(retry_after: float | None) -> float:
    if retry_after is None or not math.isfinite(retry_after) or retry_after < 0:
        return RATE_LIMIT_COOLOFF_S
    return min(retry_after, RETRY_AFTER_MAX_S)


def _refill_for(retry_after: float | None) -> float:
    """How long Looker takes to refill its burst: Retry-After, or a guess without one."""
    if retry_after is None or not math.isfinite(retry_after) or retry_after < 0:
        return RATE_REFILL_S
    return min(retry_after, RETRY_AFTER_MAX_S)
