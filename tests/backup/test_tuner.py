"""PerformanceTuner: recommendations from the S4 benchmark grid."""

from __future__ import annotations

import pytest

from lookervault.backup.tuner import PerformanceTuner, TuningProfile
from lookervault.config import MAX_CONCURRENCY, MAX_WORKERS, MIN_WORKERS


@pytest.mark.parametrize("kb", [0.0, 0.5, 2.0, 10.0, 25.0, 100.0, 10_000.0])
@pytest.mark.parametrize("items", [0, 10, 999, 1000, 50_000, 5_000_000])
def test_every_recommendation_is_a_valid_setting(items: int, kb: float) -> None:
    """Every dataset shape gets workers and concurrency the CLI accepts, and a positive estimate."""
    profile = PerformanceTuner().recommend_for_dataset(items, kb)
    assert isinstance(profile, TuningProfile)
    assert MIN_WORKERS <= profile.workers <= min(MAX_WORKERS, PerformanceTuner.CONTENTION_WORKERS)
    assert 1 <= profile.concurrency <= MAX_CONCURRENCY
    assert profile.expected_throughput > 0


def test_bigger_items_never_promise_more_items_per_second() -> None:
    """Expected throughput does not grow with the average item size."""
    tuner = PerformanceTuner()
    rates = [tuner.recommend_for_dataset(50_000, kb).expected_throughput for kb in (1, 10, 50, 500)]
    assert rates == sorted(rates, reverse=True)


def test_small_instances_use_at_most_two_writers() -> None:
    """Under a thousand items a couple of writer threads suffice."""
    assert PerformanceTuner().recommend_for_dataset(999, 10.0).workers <= 2


@pytest.mark.parametrize(("items", "kb"), [(-1, 1.0), (1, -0.5)])
def test_negative_inputs_are_refused(items: int, kb: float) -> None:
    """Negative sizes raise ValueError."""
    with pytest.raises(ValueError, match="must not be negative"):
        PerformanceTuner().recommend_for_dataset(items, kb)


def test_describe_default_names_the_flags_of_the_typical_profile() -> None:
    """describe_default() spells out the --workers and --concurrency of a typical instance."""
    tuner = PerformanceTuner()
    profile = tuner.recommend_for_dataset(50_000, 10.0)
    text = tuner.describe_default()
    assert f"--workers {profile.workers}" in text
    assert f"--concurrency {profile.concurrency}" in text
