"""The real AdaptiveLimiter against simulated Lookers, in virtual time: the slow start's cost.

`uv run python -m benchmarks.throttle_sim [--cells R40-B10@100,...] [--seeds 3] [--json PATH]
[--law module:Class | --fixed F]`

N = 32 tasks (the CLI's concurrency) each loop: acquire a paced slot, travel half a round trip,
be judged by the server (the mock's own TokenBucket or SlidingWindow, on arrival), travel back,
report to the limiter (on_success / on_rate_limited with sent_at and the server's Retry-After).
A refused task waits as the client's retry loop does (stamina: Retry-After if given, else
RETRY_WAIT_INITIAL_S x 2^k + up to 1 s of jitter) and sends the same request again. Each round
trip is drawn uniformly from the cell's range (seeded). The range "jit" is loopback as S9 meets
it on the shared 2-core machine: requests paced 1/r apart reach the mock up to about 2 ms
closer or further apart (`benchmarks.arrival_gaps`), which is what a bucket of one judges.
`--fixed F` paces at F x R and learns nothing (the rate driver's FixedLimiter): the yardstick.

Virtual time: an asyncio loop whose clock jumps to the next timer instead of waiting for it, so
anyio.sleep and the limiter's pacing run as they do for real, in a fraction of the time. Per
cell it prints achieved / allowed over the whole run, the share of answers that were 429s, and
the seconds until the server first admitted 0.9 x R within a trailing window (max(1 s, 10/R));
for the unlimited cell, the seconds until 32 requests are first in flight and the requests
answered in the first 5 s against a limiter told a huge rate (no slow start).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import logging
import random
import selectors
import statistics
import sys
from collections import deque
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio

from benchmarks.rate_driver import FixedLimiter
from lookervault.config import RETRY_WAIT_INITIAL_S, RETRY_WAIT_MAX_S
from lookervault.learned_rate import LearnedRate
from lookervault.looker.throttle import AdaptiveLimiter
from lookervault.mock.limits import SlidingWindow, TokenBucket

__all__ = ["CELLS", "Cell", "Outcome", "VirtualClock", "make_cell", "run_cell", "simulate"]

TASKS = 32
_RETRY_JITTER_S = 1.0  # stamina's default wait_jitter
_UNLIMITED_WINDOW_S = 5.0
_TOLD_RATE = 100_000.0
_LATENCIES = {  # round trip ranges, seconds
    "loop": (0.0001, 0.0003),
    "jit": (0.0005, 0.0045),  # one way 0.25-2.25 ms: arrivals +-2 ms around their pace
    "20": (0.015, 0.025),
    "100": (0.08, 0.12),
}


class VirtualClock:
    """The simulation's clock: the event loop moves it, the limiter and the server read it."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class _VirtualSelector(selectors.SelectSelector):
    """Never waits: jumps the clock to the loop's next timer."""

    def __init__(self, clock: VirtualClock) -> None:
        super().__init__()
        self._clock = clock

    def select(self, timeout: float | None = None) -> list[Any]:
        if timeout is None:
            raise RuntimeError("virtual time: every task waits and no timer is set")
        self._clock.now += max(0.0, timeout)
        return []


class _VirtualLoop(asyncio.SelectorEventLoop):
    def __init__(self, clock: VirtualClock) -> None:
        super().__init__(_VirtualSelector(clock))
        self._virtual = clock

    def time(self) -> float:
        return self._virtual.now


def simulate(main: Callable[[VirtualClock], Coroutine[Any, Any, Any]]) -> Any:
    """Run *main(clock)* on an event loop whose clock is virtual."""
    clock = VirtualClock()
    loop = _VirtualLoop(clock)
    try:
        return loop.run_until_complete(main(clock))
    finally:
        loop.close()


@dataclass(frozen=True)
class Cell:
    """A server shape (token bucket R/B, window W/min, or none) at a round-trip range."""

    name: str
    rate: float | None  # the rate it allows (None: unlimited)
    burst: float | None
    per_minute: int | None
    latency: str  # a key of _LATENCIES
    seconds: float

    @property
    def label(self) -> str:
        return f"{self.name}@{self.latency}"


@dataclass(frozen=True)
class Outcome:
    """One run of a cell."""

    achieved: float  # admitted / (R x seconds); unlimited: answered in 5 s / told limiter's
    refused_share: float
    to_90: float | None  # seconds until 0.9 R first admitted (unlimited: 32 in flight)
    refused: int
    answers: int


def make_cell(name: str, latency: str) -> Cell:
    """The cell *name* (R40-B10, W300, unlimited) at *latency* (loop, 20, 100 ms)."""
    if name == "unlimited":
        return Cell(name, None, None, None, latency, _UNLIMITED_WINDOW_S)
    if name.startswith("W"):
        per_minute = int(name[1:])
        return Cell(name, per_minute / 60, None, per_minute, latency, 120.0)
    rate_text, burst_text = name[1:].split("-B")
    rate, burst = float(rate_text), float(burst_text)
    seconds = max(30.0, 20 * burst / rate, 400 / rate)  # as S9's grid (benchmarks.rate_grid)
    return Cell(name, rate, burst, None, latency, seconds)


CELLS = [
    make_cell(name, latency)
    for name, latency in (
        ("R40-B10", "100"),
        ("R5-B20", "loop"),
        ("R40-B40", "20"),
        ("R200-B200", "100"),
        *(
            (name, latency)
            for latency in ("loop", "100")
            for name in ("R5-B1", "R5-B5", "R40-B1", "R200-B1", "R200-B50")
        ),
        ("R5-B20", "100"),
        ("R40-B1", "jit"),
        ("R200-B1", "jit"),
        ("W300", "100"),
        ("unlimited", "100"),
    )
]


async def _run(
    clock: VirtualClock,
    cell: Cell,
    seed: int,
    *,
    told: float | None = None,
    law: type[AdaptiveLimiter] = AdaptiveLimiter,
) -> Outcome:
    noise = random.Random(seed)
    low, high = _LATENCIES[cell.latency]
    limiter = law(clock=clock, sleep=anyio.sleep, per_second=told)
    server: TokenBucket | SlidingWindow | None = None
    if cell.per_minute:
        server = SlidingWindow(cell.per_minute, clock)
    elif cell.rate:
        server = TokenBucket(cell.rate, cell.burst, clock)
    start = clock.now
    end = start + cell.seconds
    admitted: deque[float] = deque()  # admission times within the trailing window
    window = max(1.0, 10 / cell.rate) if cell.rate else 1.0
    counts = {"admitted": 0, "refused": 0, "answered": 0, "in_flight": 0}
    reached: list[float] = []

    async def task() -> None:
        attempt = 0
        while clock.now < end:
            sent = await limiter.acquire()
            if sent >= end:
                return
            counts["in_flight"] += 1
            if cell.rate is None and not reached and counts["in_flight"] >= TASKS:
                reached.append(clock.now - start)
            trip = noise.uniform(low, high)
            await anyio.sleep(trip / 2)
            served = server.admit() if server else True
            retry_after = None if served or server is None else server.wait()
            if served:
                counts["admitted"] += 1
                if cell.rate:
                    admitted.append(clock.now)
                    while admitted[0] < clock.now - window:
                        admitted.popleft()
                    if not reached and len(admitted) >= 0.9 * cell.rate * window:
                        reached.append(clock.now - start)
            await anyio.sleep(trip / 2)
            counts["in_flight"] -= 1
            counts["answered"] += 1
            if served:
                attempt = 0
                limiter.on_success(sent_at=sent)
                continue
            counts["refused"] += 1
            limiter.on_rate_limited(retry_after, sent_at=sent)
            if retry_after is None:
                wait = RETRY_WAIT_INITIAL_S * 2**attempt + noise.uniform(0, _RETRY_JITTER_S)
                retry_after = min(wait, RETRY_WAIT_MAX_S)
            attempt = min(attempt + 1, 5)
            await anyio.sleep(retry_after)

    async with anyio.create_task_group() as group:
        for _ in range(TASKS):
            group.start_soon(task)
    answers = max(1, counts["answered"])
    if cell.rate is None:
        achieved = float(counts["answered"])
    else:
        achieved = counts["admitted"] / (cell.rate * cell.seconds)
    return Outcome(
        achieved,
        counts["refused"] / answers,
        reached[0] if reached else None,
        counts["refused"],
        answers,
    )


def run_cell(
    cell: Cell,
    seed: int,
    law: type[AdaptiveLimiter] = AdaptiveLimiter,
    *,
    fixed: float | None = None,
) -> Outcome:
    """One run of *cell* with the limiter (*law*) at its defaults, or paced at *fixed* x R."""
    if fixed is not None:
        if cell.rate is None:
            raise ValueError("a fixed pace is a share of a limited cell's rate")
        rate = fixed * cell.rate
        return simulate(lambda clock: _run(clock, cell, seed, told=rate, law=FixedLimiter))
    outcome = simulate(lambda clock: _run(clock, cell, seed, law=law))
    if cell.rate is not None:
        return outcome
    told = simulate(lambda clock: _run(clock, cell, seed, told=_TOLD_RATE))
    return Outcome(outcome.achieved / told.achieved, 0.0, outcome.to_90, 0, outcome.answers)


def run_nights(
    cell: Cell, seed: int, law: type[AdaptiveLimiter] = AdaptiveLimiter
) -> tuple[Outcome, Outcome, LearnedRate]:
    """A first run of *cell*, then a second one resumed from what the first learned (as the
    next backup into the same vault starts): both outcomes, and the memory handed on."""
    limiters: list[AdaptiveLimiter] = []

    class Kept(law):  # the first run's limiter, kept for what it learned
        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            limiters.append(self)

    first = run_cell(cell, seed, Kept)
    learned = limiters[0].learned()
    if learned is None:
        raise ValueError("the first night's limiter learned nothing")

    class Resumed(law):
        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.resume(learned)

    return first, run_cell(cell, seed, Resumed), learned


def _fmt_span(values: list[float], digits: int = 3) -> str:
    low, high = min(values), max(values)
    return (
        f"{low:.{digits}f}"
        if round(low, digits) == round(high, digits)
        else (f"{low:.{digits}f}-{high:.{digits}f}")
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.throttle_sim", description=__doc__)
    parser.add_argument("--cells", default="", help="e.g. R40-B10@100,R5-B20@loop (default: all)")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--json", type=Path, default=None, help="write every run here")
    limiter = parser.add_mutually_exclusive_group()  # a fixed pace has no law
    limiter.add_argument("--law", default="", help="module:Class, an AdaptiveLimiter subclass")
    limiter.add_argument("--fixed", type=float, default=None, help="pace at this share of R")
    parser.add_argument(
        "--night",
        action="store_true",
        help="each cell twice: the second run resumes from what the first learned",
    )
    args = parser.parse_args(argv)
    if args.night and args.fixed is not None:
        parser.error("--night compares the law with itself; --fixed has no law")
    law = AdaptiveLimiter
    if args.law:
        module, name = args.law.split(":")
        law = getattr(importlib.import_module(module), name)
    logging.getLogger("lookervault").setLevel(logging.ERROR)  # the law's warnings, per episode
    wanted = [c for c in args.cells.split(",") if c]
    cells = [c for c in CELLS if not wanted or c.label in wanted]
    cells += [make_cell(*w.split("@")) for w in wanted if w not in {c.label for c in CELLS}]
    if args.fixed is not None:  # a share of R: the unlimited cell has none
        cells = [c for c in cells if c.rate is not None]
    if args.night:
        _print_nights(cells, args.seeds, law, args.json)
        return 0
    print(
        "| cell | achieved / allowed | 429 share | 429s | s to 0.9 R (unlimited: to 32 in flight) |"
    )
    print("| --- | ---: | ---: | ---: | ---: |")
    rows: dict[str, list[dict[str, Any]]] = {}
    for cell in cells:
        outcomes = [
            run_cell(cell, seed, law, fixed=args.fixed) for seed in range(1, args.seeds + 1)
        ]
        rows[cell.label] = [o.__dict__ for o in outcomes]
        reached = [o.to_90 for o in outcomes]
        to_90 = (
            _fmt_span([r for r in reached if r is not None], 2)
            if any(r is not None for r in reached)
            else "never"
        )
        if any(r is None for r in reached) and to_90 != "never":
            to_90 += f" ({sum(r is None for r in reached)} never)"
        print(
            f"| {cell.label} | {_fmt_span([o.achieved for o in outcomes])}"
            f" (median {statistics.median(o.achieved for o in outcomes):.3f})"
            f" | {_fmt_span([100 * o.refused_share for o in outcomes], 1)} %"
            f" | {', '.join(str(o.refused) for o in outcomes)} | {to_90} |",
            flush=True,
        )
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    return 0


def _print_nights(
    cells: list[Cell], seeds: int, law: type[AdaptiveLimiter], json_path: Path | None
) -> None:
    print("| cell | first run | 429 share | second run | 429 share | memory (rate / ceiling) |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    rows: dict[str, list[dict[str, Any]]] = {}
    for cell in cells:
        nights = [run_nights(cell, seed, law) for seed in range(1, seeds + 1)]
        rows[cell.label] = [
            {"first": a.__dict__, "second": b.__dict__, "memory": m.as_dict()} for a, b, m in nights
        ]
        memory = ", ".join(
            f"{m.rate:.0f} / {'none' if m.ceiling is None else f'{m.ceiling:.1f}'}"
            for _, _, m in nights
        )
        print(
            f"| {cell.label} | {_fmt_span([a.achieved for a, _, _ in nights])}"
            f" | {_fmt_span([100 * a.refused_share for a, _, _ in nights], 1)} %"
            f" | {_fmt_span([b.achieved for _, b, _ in nights])}"
            f" | {_fmt_span([100 * b.refused_share for _, b, _ in nights], 1)} % | {memory} |",
            flush=True,
        )
    if json_path:
        json_path.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    sys.exit(main())
