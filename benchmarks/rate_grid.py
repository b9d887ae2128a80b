"""S9, the rate-limit grid: the adaptive limiter against rate limits of every shape.

Each cell starts a mock with one limit (a token bucket of rate R and burst B, with or without
Retry-After; a per-minute sliding window; or R=40 B=10 with 3 s tokens, 5 % 5xx and 2 % dropped
connections) and runs benchmarks.rate_driver against it. A cell lasts at least 30 s, 20 x B
requests and 400 requests at R (at 5/s, 30 s are 150 requests: the two or three 429s of the
slow start alone would be 2 %). The client's own capacity (the same
driver, no limit) is measured in the same run, so a cell can be judged against
min(allowed, capacity). Each cell's 429s are counted apart for its first 10 s (the slow start's
end) and after. A token-bucket cell that misses the goal is then run at fixed paces, f x R for f
from 1.0 down to the first that stays under 2 % 429s (a limiter that learns nothing): the best
fixed pace this stack holds there, the yardstick for the adaptive law (one sweep serves a cell
and its -RA twin; LOOKERVAULT_BENCH_SWEEP=0 skips it). LOOKERVAULT_BENCH_CELLS=R5-B1,W300 runs
only the named cells; LOOKERVAULT_BENCH_CELL_S sets the base duration (default 30 s).
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from benchmarks.datasets import dataset
from benchmarks.harness import Context
from benchmarks.mockserver import MockKnobs, MockServer
from benchmarks.svgplot import write_rate_plot

__all__ = ["Cell", "grid_cells", "render_grid", "s9_rate_grid"]

logger = logging.getLogger(__name__)

RESULTS_DIR = Path(__file__).resolve().parent / "results"
_DATASET = "M/400"  # the driver only fetches /user: the data hardly matters
_BASE_S, _SMOKE_S = 30.0, 8.0
_WINDOW_S = 120.0  # two full windows of a per-minute limit
_BURSTS_PER_CELL = 20  # a cell lasts long enough for 20 x B requests at R
_MIN_REQUESTS = 400  # and 400 requests at R: the slow start's few 429s are then under 1 %
_RETRY_AFTER_S = 1.0
_CAPACITY_S = 20.0
_RAMP_S = 5  # seconds of slow start left out of the capacity
_PLOTTED = ("R40-B10-T3-F5", "W300")
_SMOKE = ("R5-B1", "R40-B10-T3-F5")
_GOAL_RATIO, _GOAL_429 = 0.9, 0.02
_SERIES = "-6"  # main, night: h-slow's deep cut and one measure (earlier: rate-grid.md, -2 .. -5)
_START_S = 10.0  # 429s before this many seconds are the slow start's, later ones the steady state's
_SWEEP = (1.0, 0.9, 0.8, 0.7, 0.6, 0.5)  # fixed paces tried for a missed cell, x R
_SWEEP_S, _SWEEP_REQUESTS = 10.0, 100  # each pace runs this long, and this many requests at R


@dataclass(frozen=True)
class Cell:
    """One rate-limit shape: its name, the rate it allows, the mock's knobs, how long it runs."""

    name: str
    allowed_per_s: float
    knobs: MockKnobs
    seconds: float


def grid_cells(base_s: float = _BASE_S) -> list[Cell]:
    """Every cell of the issue's grid, in run order."""
    cells = []
    for rate in (5, 40, 200):
        for burst in (1, rate / 4, rate, 4 * rate):
            for retry_after in (None, _RETRY_AFTER_S):
                name = f"R{rate}-B{burst:g}" + ("-RA" if retry_after else "")
                knobs = MockKnobs(
                    rate_limit_per_s=rate, rate_limit_burst=burst, retry_after_s=retry_after
                )
                seconds = max(base_s, _BURSTS_PER_CELL * burst / rate, _MIN_REQUESTS / rate)
                cells.append(Cell(name, rate, knobs, seconds))
    for per_minute in (300, 3000):
        knobs = MockKnobs(rate_limit_per_minute=per_minute)
        cells.append(Cell(f"W{per_minute}", per_minute / 60, knobs, max(base_s, _WINDOW_S)))
    faults = MockKnobs(
        rate_limit_per_s=40, rate_limit_burst=10, token_ttl_s=3, fault_rate=0.05, drop_rate=0.02
    )
    cells.append(Cell("R40-B10-T3-F5", 40, faults, base_s))
    return cells


def _selected(smoke: bool) -> list[Cell]:
    base = float(os.environ.get("LOOKERVAULT_BENCH_CELL_S") or (_SMOKE_S if smoke else _BASE_S))
    cells = grid_cells(base)
    wanted = os.environ.get("LOOKERVAULT_BENCH_CELLS")
    names = [n.strip() for n in wanted.split(",")] if wanted else list(_SMOKE) if smoke else []
    if names:
        cells = [c for c in cells if c.name in names]
    if smoke:  # briefly: the smoke run checks that the grid works, not its figures
        cells = [replace(c, seconds=base) for c in cells]
    return cells


def _drive(
    server: MockServer,
    seconds: float,
    fixed_rate: float | None = None,
    resume_from: dict[str, Any] | None = None,
) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "benchmarks.rate_driver", "--seconds", str(seconds)]
    if fixed_rate:
        cmd += ["--fixed-rate", str(fixed_rate)]
    if resume_from:
        cmd += ["--resume-from", orjson.dumps(resume_from).decode()]
    done = subprocess.run(cmd, env=server.env(), capture_output=True, check=False)
    if done.returncode:
        raise RuntimeError(f"rate driver failed: {done.stderr.decode(errors='replace')[-800:]}")
    return orjson.loads(done.stdout.splitlines()[-1])


def run_cell(
    cell: Cell, capacity: float | None, resume_from: dict[str, Any] | None = None
) -> dict[str, Any]:
    """One cell on a fresh mock; *resume_from*: the limiter starts from that memory."""
    load_before = os.getloadavg()[0]
    with MockServer(dataset(_DATASET), cell.knobs) as server:
        report = _drive(server, cell.seconds, resume_from=resume_from)
        stats = server.stats()
    ok_per_s = report["ok"] / cell.seconds
    admitted_per_s = (report["ok"] + stats["faults"] + stats["drops"]) / cell.seconds
    share = stats["rate_limited"] / max(1, stats["requests"])
    ceiling = min(cell.allowed_per_s, capacity or cell.allowed_per_s)
    figures = {
        "cell": cell.name,
        "allowed_per_s": round(cell.allowed_per_s, 2),
        "seconds": cell.seconds,
        "requests": stats["requests"],
        "rate_limited": stats["rate_limited"],
        "ok_per_s": round(ok_per_s, 2),
        "admitted_per_s": round(admitted_per_s, 2),
        "achieved_over_allowed": round(admitted_per_s / cell.allowed_per_s, 3),
        "achieved_over_min_allowed_capacity": round(admitted_per_s / ceiling, 3),
        "share_429": round(share, 4),
        "failed": report["failed"],
        "final_rate": report["final_rate"],
        "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "per_second": report["per_second"],
        "rate_per_second": report["rate_per_second"],
        "limited_at": report["limited_at"],
        "limited_in_start": sum(t < _START_S for t in report["limited_at"]),
        "learned": report.get("learned"),
    }
    figures["met"] = figures["achieved_over_allowed"] >= _GOAL_RATIO and share < _GOAL_429
    logger.info(
        "S9 %s: %.3f of allowed, %.2f %% 429",
        cell.name,
        figures["achieved_over_allowed"],
        100 * share,
    )
    return figures


def _fixed_sweep(cell: Cell) -> list[dict[str, Any]]:
    """The same cell paced at fixed fractions of R, highest first, down to the first that stays
    under the goal's share of 429s: the best fixed pace this stack holds against that limit."""
    runs = []
    seconds = max(_SWEEP_S, _SWEEP_REQUESTS / cell.allowed_per_s)
    for fraction in _SWEEP:
        with MockServer(dataset(_DATASET), cell.knobs) as server:
            report = _drive(server, seconds, fixed_rate=fraction * cell.allowed_per_s)
            stats = server.stats()
        share = stats["rate_limited"] / max(1, stats["requests"])
        ratio = report["ok"] / seconds / cell.allowed_per_s
        runs.append(
            {
                "fraction": fraction,
                "achieved_over_allowed": round(ratio, 3),
                "share_429": round(share, 4),
                "load_average": round(os.getloadavg()[0], 2),
            }
        )
        logger.info(
            "S9 %s fixed %.2f x R: %.3f of allowed, %.2f %% 429",
            cell.name,
            fraction,
            ratio,
            100 * share,
        )
        if share < _GOAL_429:
            break
    return runs


def _capacity(seconds: float) -> float:
    """Successes per second with no limit, after the slow start's first seconds."""
    with MockServer(dataset(_DATASET), MockKnobs()) as server:
        report = _drive(server, seconds)
    steady = report["per_second"][_RAMP_S:] or report["per_second"]
    return round(sum(steady) / len(steady), 1)


def render_grid(figures: dict[str, Any]) -> str:
    """The grid as a markdown table (achieved / allowed and 429 share per cell)."""
    lines = [
        f"# S9 rate-limit grid, {figures['started']}",
        "",
        f"Client capacity (same driver, no limit): {figures['capacity_per_s']} requests/s. "
        f"Goal per cell: achieved / allowed >= {_GOAL_RATIO} with under {_GOAL_429:.0%} 429s.",
        "",
        "| Cell | allowed/s | s | requests | achieved/s | achieved / allowed "
        f"| / min(allowed, capacity) | 429 share | 429s (first {_START_S:g} s) | load | met |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {c['cell']} | {c['allowed_per_s']} | {c['seconds']:g} | {c['requests']} "
        f"| {c['admitted_per_s']} | {c['achieved_over_allowed']} "
        f"| {c['achieved_over_min_allowed_capacity']} | {c['share_429']:.2%} "
        f"| {c['rate_limited']} ({c['limited_in_start']}) "
        f"| {c['load_average'][0]} | {'yes' if c['met'] else 'NO'} |"
        for c in figures["cells"]
    ]
    met = sum(c["met"] for c in figures["cells"])
    lines += ["", f"{met} of {len(figures['cells'])} cells meet the goal."]
    if figures.get("fixed_sweeps"):
        lines += [
            "",
            f"Fixed pacing for the token-bucket cells that missed (max({_SWEEP_S:g} s, "
            f"{_SWEEP_REQUESTS} requests at R) each, the same "
            "driver with a limiter that paces at f x R and ignores every answer; highest f first, "
            "down to the first under the goal's share of 429s):",
            "",
            "| Cell | f | achieved / allowed | 429 share | load |",
            "|---|---|---|---|---|",
        ]
        lines += [
            f"| {name} | {r['fraction']:g} | {r['achieved_over_allowed']} "
            f"| {r['share_429']:.2%} | {r['load_average']} |"
            for name, runs in figures["fixed_sweeps"].items()
            for r in runs
        ]
    lines += ["", *(f"![{p}]({p})" for p in figures["plots"])]
    return "\n".join(lines) + "\n"


def s9_rate_grid(ctx: Context, _sizes: object) -> dict[str, Any]:
    """Every cell, the capacity beside them, the table, two plots, written to the results."""
    cells = _selected(ctx.smoke)
    out_dir = ctx.workdir if ctx.smoke else RESULTS_DIR
    figures: dict[str, Any] = {"started": f"{datetime.now(UTC):%Y-%m-%d %H:%M UTC}"}
    capacity_s = min(_CAPACITY_S, cells[0].seconds) if cells else _CAPACITY_S
    figures["capacity_per_s"] = _capacity(capacity_s)
    logger.info("S9 client capacity: %s requests/s", figures["capacity_per_s"])
    figures["cells"] = [run_cell(c, figures["capacity_per_s"]) for c in cells]
    figures["fixed_sweeps"] = {}
    if not ctx.smoke and os.environ.get("LOOKERVAULT_BENCH_SWEEP", "1") != "0":
        for cell, c in zip(cells, figures["cells"], strict=True):
            # Fixed pacing ignores Retry-After: one sweep serves a cell and its -RA twin.
            bucket = cell.knobs.rate_limit_per_s and not cell.knobs.token_ttl_s
            if not c["met"] and bucket and not cell.knobs.retry_after_s:
                figures["fixed_sweeps"][cell.name] = _fixed_sweep(cell)
    plotted = [c for c in figures["cells"] if c["cell"] in _PLOTTED] or figures["cells"][:2]
    figures["plots"] = []
    for c in plotted:
        path = out_dir / f"rate-grid-{c['cell']}.svg"
        title = f"{c['cell']}: successes per second (allowed {c['allowed_per_s']}/s)"
        write_rate_plot(
            path,
            title,
            c["per_second"],
            c["allowed_per_s"],
            figures["capacity_per_s"],
            c["rate_per_second"],
        )
        figures["plots"].append(path.name)
    stem = out_dir / f"{datetime.now(UTC):%Y-%m-%d}-rate-grid{_SERIES}"
    stem.with_suffix(".json").write_bytes(orjson.dumps(figures, option=orjson.OPT_INDENT_2))
    stem.with_suffix(".md").write_text(render_grid(figures))
    figures["met"] = sum(c["met"] for c in figures["cells"])
    figures["goal"] = f"every cell: achieved / allowed >= {_GOAL_RATIO}, 429s < {_GOAL_429:.0%}"
    return figures
