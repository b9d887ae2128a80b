"""benchmarks.throttle_sim: its virtual time is time, its server is the mock's (no servers)."""

from __future__ import annotations

import time

import anyio
import pytest

from benchmarks.throttle_sim import (
    TASKS,
    VirtualClock,
    main,
    make_cell,
    run_cell,
    run_nights,
    simulate,
)
from lookervault.looker.throttle import AdaptiveLimiter

pytestmark = pytest.mark.integration


def test_virtual_time_runs_sleepers_in_order_without_waiting() -> None:
    """Sleeps of minutes return at once, in the order of their ends, on the loop's clock."""
    woke: list[tuple[str, float]] = []

    async def sleeper(clock: VirtualClock, name: str, seconds: float) -> None:
        await anyio.sleep(seconds)
        woke.append((name, clock.now))

    async def main(clock: VirtualClock) -> float:
        start = clock.now
        async with anyio.create_task_group() as group:
            for name, seconds in (("long", 600.0), ("short", 60.0), ("mid", 300.0)):
                group.start_soon(sleeper, clock, name, seconds)
        return clock.now - start

    began = time.monotonic()
    elapsed = simulate(main)
    assert time.monotonic() - began < 5
    assert elapsed == pytest.approx(600.0)
    assert [name for name, _ in woke] == ["short", "mid", "long"]


def test_a_told_limiter_fills_every_slot_for_the_whole_round_trip() -> None:
    """Unlimited server 80-120 ms away: told a huge rate, 32 tasks answer about 32 per 0.1 s,
    and the defaults' slow start answers fewer in the first 5 s."""
    cell = make_cell("unlimited", "100")
    outcome = run_cell(cell, 1)
    assert 0.3 < outcome.achieved < 0.95  # the slow start's share of the told limiter's answers
    assert outcome.to_90 is not None and 1.0 < outcome.to_90 < cell.seconds  # 32 in flight
    assert outcome.answers < TASKS / 0.1 * cell.seconds


def test_a_bucket_is_never_beaten() -> None:
    """Against R=5 with a burst of 5 the admitted rate stays within what the bucket allows."""
    cell = make_cell("R5-B5", "loop")
    outcome = run_cell(cell, 1, law=AdaptiveLimiter)
    assert outcome.achieved <= 1 + 5 / (5 * cell.seconds) + 1e-9
    assert outcome.refused > 0  # slow start found the limit


def test_arrival_jitter_is_what_a_bucket_of_one_refuses() -> None:
    """With arrivals +-2 ms around their pace ("jit"), a fixed pace leaving 2.7 ms of margin
    under 1/R (0.9 x 40/s) is never refused, one leaving 1.3 ms (0.95 x) is refused often, and at
    200/s even 0.9 x R (0.56 ms of margin) is refused about every fourth time."""
    cell = make_cell("R40-B1", "jit")
    held = run_cell(cell, 1, fixed=0.9)
    assert held.refused == 0 and held.achieved == pytest.approx(0.9, abs=0.01)
    assert run_cell(cell, 1, fixed=0.95).refused_share > 0.02
    fast = run_cell(make_cell("R200-B1", "jit"), 1, fixed=0.9)
    assert 0.15 < fast.refused_share < 0.35
    with pytest.raises(ValueError, match="limited"):
        run_cell(make_cell("unlimited", "jit"), 1, fixed=0.9)


@pytest.mark.parametrize("name", ["R40-B1@jit", "R200-B50@jit", "unlimited@100"])
def test_the_second_night_starts_from_what_the_first_learned(name: str) -> None:
    """Resumed from the first run's memory, the second run is served more (unlimited: answers
    more in its first 5 s), with no more 429s; the memory is the server's rate."""
    cell = make_cell(*name.split("@"))
    first, second, memory = run_nights(cell, 1)
    assert second.achieved > first.achieved
    assert second.refused_share <= first.refused_share + 0.001
    if cell.rate is None:
        assert memory.ceiling is None and memory.rate > TASKS / 0.1
    else:
        assert memory.ceiling is not None and 0.7 * cell.rate < memory.ceiling < 1.1 * cell.rate


def test_a_fixed_pace_has_no_second_night(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--night", "--fixed", "0.9", "--cells", "R40-B1@jit"])
    assert "--fixed has no law" in capsys.readouterr().err
