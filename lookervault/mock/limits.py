"""The mock's rate limits: a token bucket (rate and burst) and a per-minute sliding window."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

__all__ = ["RateLimits", "SlidingWindow", "TokenBucket"]

_MINUTE = 60.0


class TokenBucket:
    """*rate* requests per second with a burst of *burst* (default: one second's worth)."""

    def __init__(self, rate: float, burst: float | None, clock: Callable[[], float]) -> None:
        self._rate, self._clock = rate, clock
        self._capacity = max(1.0, rate if burst is None else burst)
        self._tokens, self._last = self._capacity, clock()

    def admit(self) -> bool:
        """Take a token if there is one."""
        now = self._clock()
        self._tokens = min(self._capacity, self._tokens + (now - self._last) * self._rate)
        self._last = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return True
        return False

    def wait(self) -> float | None:
        """Seconds until a token is back (None: a bucket does not say, as today's mock)."""
        return None


class SlidingWindow:
    """At most *per_minute* admitted requests in any 60-second window."""

    def __init__(self, per_minute: int, clock: Callable[[], float]) -> None:
        self._count, self._clock = per_minute, clock
        self._admitted: deque[float] = deque()

    def admit(self) -> bool:
        """Admit a request unless the last 60 seconds already hold the limit."""
        now = self._clock()
        while self._admitted and self._admitted[0] <= now - _MINUTE:
            self._admitted.popleft()
        if len(self._admitted) >= self._count:
            return False
        self._admitted.append(now)
        return True

    def wait(self) -> float | None:
        """Seconds until the oldest admitted request leaves the window."""
        if not self._admitted:
            return None
        return max(0.0, self._admitted[0] + _MINUTE - self._clock())


class RateLimits:
    """Every configured limit; a request passes only if each admits it."""

    def __init__(self, limits: list[TokenBucket | SlidingWindow]) -> None:
        self._limits = limits
        self.retry_after: float | None = None  # what the last refusal told the client to wait

    @classmethod
    def build(
        cls,
        per_s: float | None,
        burst: float | None,
        per_minute: int | None,
        clock: Callable[[], float],
    ) -> RateLimits | None:
        """The limits the knobs ask for; None when there are none (the default)."""
        limits: list[TokenBucket | SlidingWindow] = []
        if per_s:
            limits.append(TokenBucket(per_s, burst, clock))
        if per_minute:
            limits.append(SlidingWindow(per_minute, clock))
        return cls(limits) if limits else None

    def admit(self) -> bool:
        """Whether the request passes; after a refusal `retry_after` says how long to wait."""
        for limit in self._limits:
            if not limit.admit():
                self.retry_after = limit.wait()
                return False
        return True
