"""Recommended --workers and --concurrency, from the benchmark measurements in benchmarks/results."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["PerformanceTuner", "TuningProfile"]


@dataclass(frozen=True)
class TuningProfile:
    """Settings for one dataset shape and the throughput the benchmarks saw with them."""

    workers: int
    concurrency: int
    expected_throughput: float  # items/s against a server that answers at once (S1 conditions)


class PerformanceTuner:
    """Turns a dataset's size and item size into settings.

    The figures come from the S4 scaling grid of `make bench` (see README, Performance): writer threads
    beyond a few add SQLite lock contention without throughput, because one writer at a time holds the
    WAL write lock; requests in flight matter most when the server is slow, and big items are bound by
    JSON and SQLite byte handling rather than by round trips.
    """

    CONTENTION_WORKERS = 16  # past this, --verbose warns about write-lock contention

    # (max average item KB, profile) from the S4 grid; measured items/s at latency 0.
    _PROFILES: tuple[tuple[float, TuningProfile], ...] = (
        (2.0, TuningProfile(workers=2, concurrency=16, expected_throughput=9000.0)),
        (25.0, TuningProfile(workers=4, concurrency=16, expected_throughput=2500.0)),
        (float("inf"), TuningProfile(workers=4, concurrency=8, expected_throughput=600.0)),
    )

    def recommend_for_dataset(self, total_items: int, avg_item_size_kb: float) -> TuningProfile:
        """The profile for `total_items` items of `avg_item_size_kb` KB on average."""
        if total_items < 0 or avg_item_size_kb < 0:
            raise ValueError("total_items and avg_item_size_kb must not be negative")
        for max_kb, profile in self._PROFILES:
            if avg_item_size_kb <= max_kb:
                if total_items < 1000:  # small instances: a couple of threads suffice
                    return TuningProfile(
                        workers=min(profile.workers, 2),
                        concurrency=profile.concurrency,
                        expected_throughput=profile.expected_throughput,
                    )
                return profile
        raise AssertionError("unreachable: the last profile has no upper bound")

    def describe_default(self) -> str:
        """One sentence naming the recommended setting for a typical instance."""
        profile = self.recommend_for_dataset(50_000, 10.0)
        return f"recommended: --workers {profile.workers} --concurrency {profile.concurrency}"
