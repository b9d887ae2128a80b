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
    RATE_CEILING_MARGIN,
    RATE_DECREASE_FACTOR,
    RATE_DECREASE_WINDOW_S,
    RATE_LIMIT_COOLOFF_S,
    RATE_MIN_PER_S,
    RATE_OBSERVE_WINDOW_S,
    RATE_PROBE_STEP,
    RATE_PROBE_SUCCESSES,
    RATE_RECOVERY_STEP,
    RATE_RECOVERY_SUCCESSES,
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
    default cool-off) has passed and the rate is halved; a burst of 429s from requests sent
    before the slowdown counts as one decrease. The rate Looker refused teaches a ceiling (a
    little below it, never above the configured rate). After sustained success the rate climbs
    back to the ceiling in steps of a tenth of it, then probes above it in small, slow steps,
    so it neither stays low when Looker allows more nor runs into the limit over and over
    (which going back to unlimited would do).

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
        self._ceiling = self._configured
        self._adaptive: AsyncLimiter | None = None
        self._pause_until = -math.inf
        self._burst_until = -math.inf
        self._decreased_at = -math.inf
        self._successes = 0
        self._created = clock()
        self._sent: deque[float] = deque()

    @property
    def current_rate(self) -> float | None:
        """Requests per second now in force (None: unlimited)."""
        return self._rate

    @property
    def configured_rate(self) -> float | None:
        """The steady rate the configured limits allow (None: unlimited)."""
        return self._configured

    @property
    def paused_until(self) -> float:
        """Clock time before which no request is let through (-inf: not paused)."""
        return self._pause_until

    async def acquire(self) -> None:
        """Wait for permission to send one request."""
        while True:
            await self._wait_pause()
            adaptive = self._adaptive
            for limiter in (*self._fixed, adaptive):
                if limiter is not None:
                    await limiter.acquire()
            # The rate changed or a 429 paused everyone while we waited: queue again.
            if adaptive is self._adaptive and self._clock() >= self._pause_until:
                break
        self._record_sent(self._clock())

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
        self._pause_until = max(self._pause_until, now + _pause_for(retry_after))
        self._successes = 0
        if same_burst:
            self._burst_until = max(self._burst_until, self._pause_until)
            return
        # Nothing is sent during the pause, so 429s until it ends answer older requests.
        self._burst_until = max(now + RATE_DECREASE_WINDOW_S, self._pause_until)
        self._decreased_at = now
        self._decrease(now)

    def on_success(self) -> None:
        """Record a success; enough of them in a row raise a lowered rate one step."""
        if self._rate is None or self._ceiling is None:
            return
        if self._configured is not None and self._rate >= self._configured:
            return
        if self._clock() < self._pause_until:
            return  # answers to requests sent before the pause prove nothing
        self._successes += 1
        probing = self._rate >= self._ceiling
        if self._successes >= (RATE_PROBE_SUCCESSES if probing else RATE_RECOVERY_SUCCESSES):
            self._successes = 0
            self._recover_step()

    def __repr__(self) -> str:
        return f"<AdaptiveLimiter rate={self._rate!r} configured={self._configured!r}>"

    async def _wait_pause(self) -> None:
        # A deadline, not an event: a later 429 may push it back while we sleep.
        while (delay := self._pause_until - self._clock()) > 0:  # noqa: ASYNC110
            await anyio.sleep(delay)

    def _record_sent(self, now: float) -> None:
        self._sent.append(now)
        horizon = now - RATE_OBSERVE_WINDOW_S
        while self._sent and self._sent[0] < horizon:
            self._sent.popleft()

    def _observed_rate(self, now: float) -> float:
        horizon = now - RATE_OBSERVE_WINDOW_S
        count = sum(1 for sent in self._sent if sent >= horizon)
        span = min(RATE_OBSERVE_WINDOW_S, now - self._created)
        return count / max(span, _SECOND)

    def _decrease(self, now: float) -> None:
        base = self._rate if self._rate is not None else self._observed_rate(now)
        learned = max(base * RATE_CEILING_MARGIN, RATE_MIN_PER_S)
        self._ceiling = learned if self._configured is None else min(learned, self._configured)
        self._set_rate(max(RATE_MIN_PER_S, base * RATE_DECREASE_FACTOR))
        logger.warning(
            "Looker rate limit hit: pausing %.1f s, then %.2f requests/s for all workers",
            self._pause_until - now,
            self._rate,
        )

    def _recover_step(self) -> None:
        assert self._rate is not None and self._ceiling is not None
        if self._rate < self._ceiling:
            rate = min(self._rate + RATE_RECOVERY_STEP * self._ceiling, self._ceiling)
        else:  # probing above the rate Looker last refused
            rate = self._rate + RATE_PROBE_STEP * self._ceiling
        if self._configured is not None and rate >= self._configured * (1 - 1e-9):
            self._set_rate(self._configured)
            logger.info("rate limit recovered: back to %s requests/s", self._configured)
            return
        self._set_rate(rate)
        logger.debug("rate limit recovery: %.2f requests/s", rate)

    def _set_rate(self, rate: float | None) -> None:
        self._rate = rate
        if rate is None or (self._configured is not None and rate >= self._configured):
            self._adaptive = None  # the configured limits alone apply
        else:
            self._adaptive = _bucket(rate, _SECOND)


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
