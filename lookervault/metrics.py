"""Thread-safe counters shared by the client, the pipeline and the vault writers."""

from __future__ import annotations

import threading
import time
from collections import Counter

__all__ = ["Metrics"]


class Metrics:
    """Named integer counters, safe to bump from the event loop and from writer threads.

    Names in use: requests, bytes, retries, rate_limited, errors, items, items:<type>,
    batches, busy_retries, request_ms (milliseconds requests spent in flight, summed).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()
        self.started: float = time.monotonic()

    def add(self, name: str, n: int = 1) -> None:
        """Add *n* to counter *name* (created at zero)."""
        with self._lock:
            self._counts[name] += n

    def get(self, name: str) -> int:
        """Return counter *name*, zero when never added to."""
        with self._lock:
            return self._counts.get(name, 0)

    def snapshot(self) -> dict[str, int]:
        """Return a consistent copy of every counter."""
        with self._lock:
            return dict(self._counts)

    def elapsed(self) -> float:
        """Seconds since these metrics were created."""
        return time.monotonic() - self.started

    def __repr__(self) -> str:
        return f"<Metrics {self.snapshot()!r}>"
