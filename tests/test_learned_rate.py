"""What the vault keeps of a run's limiter: junk reads back as no memory, a memory as itself."""

from __future__ import annotations

import pytest

from lookervault.learned_rate import LearnedRate


@pytest.mark.parametrize(
    "stored",
    [
        None,
        "fast",
        [],
        {},
        {"rate": 0},
        {"rate": -3.0},
        {"rate": True},
        {"rate": float("inf")},
        {"rate": float("nan")},
        {"rate": 5.0, "ceiling": "high"},
        {"rate": 5.0, "ceiling": 0},
    ],
)
def test_a_stored_memory_that_is_not_one_reads_as_none(stored: object) -> None:
    assert LearnedRate.from_dict(stored) is None


def test_a_memory_round_trips_through_its_stats_entry() -> None:
    for learned in (LearnedRate(12.5, 14.25), LearnedRate(900.0, None)):
        assert LearnedRate.from_dict(learned.as_dict()) == learned
