"""S0: how long the console script takes to start, beside a bare interpreter (no tool but a clock)."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from benchmarks.harness import Context, ratio

__all__ = ["GOAL_S", "s0_startup"]

GOAL_S = 0.3  # median wall time of each measured command
_RUNS = 10
_SMOKE_RUNS = 3


def _console_script() -> str:
    """The installed `lookervault` entry point beside this interpreter."""
    return str(Path(sys.executable).with_name("lookervault"))


def _small_vault(path: Path) -> Path:
    """A vault of two runs and three dashboards, written through the vault's own API."""
    from lookervault.vault.records import Batch, ItemRecord
    from lookervault.vault.store import Vault

    def dash(item_id: str, title: str) -> ItemRecord:
        content = {"id": item_id, "title": title, "folder_id": "1"}
        return ItemRecord("dashboards", item_id, content, title=title, folder_id="1")

    with Vault(path) as vault:
        for items in ((dash("1", "Sales"),), (dash("1", "Sales"), dash("2", "Costs"))):
            run_id = vault.start_run(
                options={}, looker_url="u", looker_release=None, api_version=None, tool_version="0"
            )
            with vault.writer() as writer:
                writer.write(Batch(run_id, items=items))
            vault.finish_run(run_id, status="complete", counts={"dashboards": len(items)}, stats={})
    return path


def _time(command: Sequence[str], env: Mapping[str, str], cwd: Path, runs: int) -> dict[str, float]:
    """Median, min and max wall seconds of `runs` runs of one command (output discarded)."""
    walls = []
    for _ in range(runs):
        began = time.perf_counter()
        subprocess.run(command, env=env, cwd=cwd, capture_output=True, check=True)
        walls.append(time.perf_counter() - began)
    return {
        "median_s": round(statistics.median(walls), 3),
        "min_s": round(min(walls), 3),
        "max_s": round(max(walls), 3),
    }


def _measure(commands: Mapping[str, list[str]], env: Mapping[str, str], cwd: Path, runs: int):
    figures: dict[str, Any] = {name: _time(cmd, env, cwd, runs) for name, cmd in commands.items()}
    bare = figures["bare"]["median_s"]
    for name, values in figures.items():
        if name != "bare":
            values["over_bare"] = ratio(values["median_s"], bare)
    return figures


def s0_startup(ctx: Context, _sizes: object) -> dict[str, Any]:
    """Start-up of --version, --help and `runs` on a small vault, as installed and with .pyc cached.

    "as_installed" runs with the environment as it is (PYTHONDONTWRITEBYTECODE=1 means every
    module is compiled again at each start); "bytecode_cached" points PYTHONPYCACHEPREFIX at a
    scratch folder warmed by one run of each command first, as a normal install would have.
    """
    runs = _SMOKE_RUNS if ctx.smoke else _RUNS
    scratch = ctx.scratch("s0-startup")
    db = _small_vault(scratch / "small.db")
    script = _console_script()
    commands = {
        "bare": [sys.executable, "-c", "pass"],
        "--version": [script, "--version"],
        "--help": [script, "--help"],
        "runs": [script, "runs", "--db", str(db)],
    }
    as_installed = _measure(commands, os.environ, scratch, runs)
    cached_env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    cached_env["PYTHONPYCACHEPREFIX"] = str(scratch / "pycache")
    _measure(commands, cached_env, scratch, 1)  # warm the cache
    cached = _measure(commands, cached_env, scratch, runs)
    worst = max(v["median_s"] for k, v in as_installed.items() if k != "bare")
    return {
        "runs": runs,
        "goal_s": GOAL_S,
        "pythondontwritebytecode": os.environ.get("PYTHONDONTWRITEBYTECODE", ""),
        "as_installed": as_installed,
        "bytecode_cached": cached,
        "worst_median_s": worst,
        "met": worst <= GOAL_S,
    }
