"""Tests for lookervault.metrics: counters shared by the event loop and writer threads."""

from __future__ import annotations

import threading

from lookervault.metrics import Metrics

THREADS = 8
ADDS_PER_THREAD = 5000


def test_add_and_get() -> None:
    """Counters start at zero and add up."""
    metrics = Metrics()
    assert metrics.get("requests") == 0
    metrics.add("requests")
    metrics.add("bytes", 512)
    metrics.add("bytes", 100)
    assert metrics.get("requests") == 1
    assert metrics.get("bytes") == 612


def test_snapshot_is_a_copy() -> None:
    """A snapshot does not change when counters move on."""
    metrics = Metrics()
    metrics.add("items:dashboard", 3)
    snapshot = metrics.snapshot()
    metrics.add("items:dashboard")
    assert snapshot == {"items:dashboard": 3}
    assert metrics.snapshot() == {"items:dashboard": 4}


def test_elapsed_is_non_negative() -> None:
    """elapsed() counts from creation on the monotonic clock."""
    metrics = Metrics()
    assert metrics.elapsed() >= 0.0
    assert metrics.started > 0.0


def test_concurrent_adds_are_not_lost() -> None:
    """Adds from many threads at once all count."""
    metrics = Metrics()
    start = threading.Barrier(THREADS)

    def work() -> None:
        start.wait()
        for _ in range(ADDS_PER_THREAD):
            metrics.add("batches")

    threads = [threading.Thread(target=work) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert metrics.get("batches") == THREADS * ADDS_PER_THREAD
