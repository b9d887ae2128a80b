"""`python -m benchmarks [--smoke] [--scenarios S1,S2,...] [--runs N]`: run, check, write results."""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.datasets import SEED, dataset
from benchmarks.harness import Context
from benchmarks.report import describe_code, describe_machine, render_markdown, write_results
from benchmarks.scenarios import FULL, SCENARIOS, SMOKE, Sizes

__all__ = ["main"]

logger = logging.getLogger("benchmarks")

RESULTS_DIR = Path(__file__).resolve().parent / "results"
_FULL_RUNS = 3


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument(
        "--smoke", action="store_true", help="tiny datasets, 1 run, completeness only"
    )
    parser.add_argument("--scenarios", default=",".join(SCENARIOS), help="e.g. S1,S3")
    parser.add_argument(
        "--runs", type=int, default=None, help="runs per figure (default 3; smoke 1)"
    )
    parser.add_argument("--s5-big-runs", type=int, default=None, help="runs of S5's 5x dataset")
    parser.add_argument("--output", type=Path, default=None, help="results folder")
    return parser.parse_args(argv)


def _datasets(sizes: Sizes) -> list[dict[str, Any]]:
    names = {v for v in vars(sizes).values() if isinstance(v, str)}
    names |= set(sizes.s5)
    return [dataset(n).describe() for n in sorted(names, key=lambda n: -dataset(n).scale)]


def _run_scenarios(
    ctx: Context, wanted: list[str], sizes: Sizes, results: dict[str, Any], output: Path
) -> None:
    """Run each scenario, writing the results after each so a stopped run keeps its figures."""
    results["incomplete"] = ctx.incomplete
    for name in wanted:
        began = time.perf_counter()
        logger.info("=== %s", name)
        try:
            figures = SCENARIOS[name](ctx, sizes)
        except Exception as exc:  # one broken scenario must not hide the others' figures
            logger.exception("%s failed", name)
            ctx.incomplete.append(f"{name}: crashed with {exc!r}")
            figures = {"error": repr(exc)}
        figures["scenario_wall_s"] = round(time.perf_counter() - began, 1)
        results["scenarios"][name] = figures
        ctx.release_large()
        write_results(results, output)


def main(argv: list[str] | None = None) -> int:
    """Run the chosen scenarios; exit 1 when any vault is incomplete (a failure, not a result)."""
    args = _parse(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per control request is noise
    sizes = SMOKE if args.smoke else FULL
    if args.s5_big_runs is not None:
        sizes = Sizes(**{**vars(sizes), "s5_big_runs": args.s5_big_runs})
    runs = args.runs or (1 if args.smoke else _FULL_RUNS)
    wanted = [name.strip().upper() for name in args.scenarios.split(",") if name.strip()]
    unknown = [w for w in wanted if w not in SCENARIOS]
    if unknown:
        logger.error("unknown scenarios %s; known: %s", unknown, ", ".join(SCENARIOS))
        return 2
    results: dict[str, Any] = {
        "started": f"{datetime.now(UTC):%Y-%m-%d %H:%M UTC}",
        "command": "python -m benchmarks " + " ".join(sys.argv[1:] if argv is None else argv),
        "mode": "smoke" if args.smoke else "full",
        "runs": runs,
        "s5_big_runs": sizes.s5_big_runs,
        "seed": SEED,
        "machine": describe_machine(),
        "code": describe_code(),
        "datasets": _datasets(sizes),
        "scenarios": {},
    }
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="lookervault-bench-") as tmp:
        ctx = Context(Path(tmp), runs=runs, smoke=args.smoke)
        output = args.output or (Path(tmp) if args.smoke else RESULTS_DIR)
        try:
            _run_scenarios(ctx, wanted, sizes, results, output)
        finally:
            ctx.close()
        results["total_wall_s"] = round(time.perf_counter() - start, 1)
        json_path, md_path = write_results(results, output)
        sys.stdout.write(render_markdown(results))
        if not args.smoke or args.output:
            logger.info("wrote %s and %s", json_path, md_path)
    logger.info("total %.1f s", results["total_wall_s"])
    if ctx.incomplete:
        logger.error("FAILED: %d incomplete vault(s)", len(ctx.incomplete))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
