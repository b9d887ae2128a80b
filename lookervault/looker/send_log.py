"""Exact logs of send times: the configured limits hold in every window, not on average."""

from __future__ import annotations

from collections import deque

__all__ = ["SendLog"]


class SendLog:
    """The last *count* send times: no window of *period* seconds may hold more than *count*."""

    def __init__(self, count: float, period: float) -> None:
        if count < 1:  # fewer than one per period: one per stretched period
            period, count = period / count, 1.0
        self.count = int(count)
        self.period = period
        self._times: deque[float] = deque(maxlen=self.count)

    def delay(self, now: float) -> float:
        """Seconds until one more request fits (0 or less: now)."""
        if len(self._times) < self.count:
            return 0.0
        return self._times[0] + self.period - now

    def record(self, now: float) -> None:
        """Note a request sent at *now*."""
        self._times.append(now)
