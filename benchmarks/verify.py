"""S8: how long `lookervault verify` takes on a vault one extract of the S1 dataset built."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.harness import Context, Flags
from benchmarks.mockserver import MockKnobs

__all__ = ["GOAL_M_S", "s8_verify"]

# verify of preset M (a 0.46 GB vault) took 76-110 s before its orphan count was fixed, ~2.3 s
# after; the goal is the "at least 5 times faster" than the 76 s.
GOAL_M_S = 15.0


def _verify_walls(db: Path, runs: int) -> list[float]:
    """Wall seconds of `runs` runs of `lookervault verify` (stdout discarded, exit 0 required)."""
    command = [str(Path(sys.executable).with_name("lookervault")), "verify", "--db", str(db)]
    walls = []
    for _ in range(runs):
        began = time.perf_counter()
        subprocess.run(command, capture_output=True, check=True)
        walls.append(time.perf_counter() - began)
    return walls


def s8_verify(ctx: Context, sz: Any) -> dict[str, Any]:
    """Build a vault with one extract of S1's dataset, then time verify on it (median of runs)."""
    db = ctx.scratch("s8-verify") / "vault.db"
    ctx.run_extract(sz.s1, MockKnobs(), Flags(), label="S8 build", db=db)
    walls = _verify_walls(db, ctx.runs)
    megabytes, median_s = db.stat().st_size / 1e6, statistics.median(walls)
    goal = GOAL_M_S if sz.s1 == "M" else None  # start-up dominates the small datasets
    return {
        "dataset": sz.s1,
        "vault_mb": round(megabytes, 1),
        "runs": ctx.runs,
        "median_s": round(median_s, 3),
        "min_s": round(min(walls), 3),
        "max_s": round(max(walls), 3),
        "mb_per_s": round(megabytes / median_s, 1),
        "goal_s": goal,
        "met": None if goal is None else median_s <= goal,
    }
