"""Thread-safe counters shared by the client, the pipeline and the vault writers."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Mapping

__all__ = [
    "PACE_KEY",
    "REQUESTS_PREFIX",
    "UNAVAILABLE_PREFIX",
    "Metrics",
    "requests_by_type",
    "unavailable_by_type",
]

# requests:<content type> counts what each type cost (looker/request_counter.py).
REQUESTS_PREFIX = "requests:"
# unavailable:<content type> counts ids listed but answering 404 (explores): not gone, not failed.
UNAVAILABLE_PREFIX = "unavailable:"
# A run's stats keep what its rate limiter learned under this key (backup/pace.py).
PACE_KEY = "limiter"


class Metrics:
    """Named integer counters, safe to bump from the event loop and from writer threads.

    Names in use: requests, requests:<type>, bytes, retries, rate_limited, errors, items, items:<type>,
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


def requests_by_type(stats: Mapping[str, object]) -> dict[str, int]:
    """The per-type request counts held in a metrics snapshot or a run's stats."""
    return _by_type(stats, REQUESTS_PREFIX)


def unavailable_by_type(stats: Mapping[str, object]) -> dict[str, int]:
    """Per type, the ids listed but answering 404, from a metrics snapshot or a run's stats."""
    return _by_type(stats, UNAVAILABLE_PREFIX)


def _by_type(stats: Mapping[str, object], prefix: str) -> dict[str, int]:
    return {
        key[len(prefix) :]: value
        for key, value in sorted(stats.items())
        if key.startswith(prefix) and isinstance(value, int)
    }
