"""Two versions of the code side by side: S1's extract from an older tree, this one, and the drain.

`python -m benchmarks.compare --before DIR [--dataset DU] [--runs 5]` starts one mock for the
dataset, then runs, round after round, the extract of the tree at DIR (a `git archive` of an
older commit: its `lookervault` package is put first on PYTHONPATH), the extract of this tree,
and the drain of the same requests, each in its own process. Every vault is checked against the
mock's ground truth. It prints medians and the ratios of each round (extract / drain, after /
before), so both versions and the drain see the same machine load. `--told-rate R` adds a third
extract per round: this tree with `--rate-limit-per-second R` (the limiter's slow start set aside).
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import sys
import tempfile
from pathlib import Path
from typing import Any

import orjson

from benchmarks.completeness import check_vault
from benchmarks.datasets import dataset
from benchmarks.drain import plan_requests
from benchmarks.harness import Flags, extract_command, median, record_of, remove_tree
from benchmarks.mockserver import MockKnobs, MockServer
from benchmarks.process import run_measured
from lookervault.config import DEFAULT_CONCURRENCY

__all__ = ["main"]

logger = logging.getLogger("benchmarks.compare")


def _extract(
    server: MockServer, folder: Path, types: tuple[str, ...], pythonpath: str, extra: list[str]
) -> dict:
    folder.mkdir()
    db = folder / "vault.db"
    env = server.env() | ({"PYTHONPATH": pythonpath} if pythonpath else {})
    server.reset_stats()
    cmd = extract_command(db, Flags(types=types)) + extra
    record = record_of(run_measured(cmd, env, folder))
    truth = server.ground_truth_hashes()
    result = check_vault(db, {t: truth[t] for t in types} if types else truth)
    record["complete"] = result.ok
    remove_tree(folder)
    return record


def _rate(record: dict[str, Any]) -> float:
    report = record["report"]
    return report["requests"] / report["elapsed_s"] if report.get("elapsed_s") else 0.0


def compare(
    before: Path,
    name: str,
    runs: int,
    work: Path,
    extra: list[str],
    knobs: MockKnobs | None = None,
    types: tuple[str, ...] = (),
    told_rate: float | None = None,
) -> dict[str, Any]:
    """`runs` rounds of before, after and drain against one mock; medians and ratios.

    `knobs` set the mock's latency (S2: 100 +- 20 ms); `types` replace the dataset's.
    """
    data = dataset(name)
    if types:
        data = dataclasses.replace(data, types=types)
    rounds: list[dict[str, Any]] = []
    with MockServer(data, knobs) as server:
        env = server.env()
        urls = plan_requests(
            server.url, env["LOOKERSDK_CLIENT_ID"], env["LOOKERSDK_CLIENT_SECRET"], types=data.types
        )
        plan = work / "plan.json"
        plan.write_bytes(orjson.dumps(urls))
        drain_cmd = [sys.executable, "-m", "benchmarks.drain", "--plan", str(plan)]
        drain_cmd += ["--concurrency", str(DEFAULT_CONCURRENCY)]
        for i in range(runs):
            old = _extract(server, work / f"before-{i}", data.types, str(before), extra)
            new = _extract(server, work / f"after-{i}", data.types, "", extra)
            one = {"before": old, "after": new}
            if told_rate:
                told = ["--rate-limit-per-second", str(told_rate)]
                one["told"] = _extract(server, work / f"told-{i}", data.types, "", extra + told)
            drain = record_of(run_measured(drain_cmd, env, work))
            rate = _rate(drain)
            rounds.append(one | {"drain": drain})
            logger.info(
                "round %d: before/drain %.3f, after/drain %.3f, complete %s %s",
                i + 1,
                _rate(old) / rate,
                _rate(new) / rate,
                old["complete"],
                new["complete"],
            )
    summary = _summary(name, rounds) | {"extract_flags": extra}
    if knobs is not None and knobs.latency_ms:
        summary |= _over_ideal(rounds, knobs.latency_ms / 1000)
    return summary


def _over_ideal(rounds: list[dict[str, Any]], latency_s: float) -> dict[str, Any]:
    """Benchmark S2's figure per side: requests x latency / concurrency over elapsed_s."""

    def figure(record: dict[str, Any]) -> float:
        report = record["report"]
        ideal = report["requests"] * latency_s / DEFAULT_CONCURRENCY
        return ideal / report["elapsed_s"] if report.get("elapsed_s") else 0.0

    sides = tuple(rounds[0]) if rounds else ()
    return {
        "latency_s": latency_s,
        "over_ideal": {s: round(median(figure(r[s]) for r in rounds), 3) for s in sides},
        "over_ideal_by_round": [{s: round(figure(r[s]), 3) for s in sides} for r in rounds],
    }


def _summary(name: str, rounds: list[dict[str, Any]]) -> dict[str, Any]:
    def med(side: str, key: str) -> float:
        values = [
            r[side]["report"].get(key, 0) if key != "cpu_s" else r[side]["cpu_s"] for r in rounds
        ]
        return round(median(values), 3)

    def ratio_median(num: str, den: str) -> float:
        return round(median(_rate(r[num]) / _rate(r[den]) for r in rounds), 3)

    return {
        "dataset": name,
        "runs": len(rounds),
        "complete": all(r[s]["complete"] for r in rounds for s in r if s != "drain"),
        "elapsed_s": {s: med(s, "elapsed_s") for s in rounds[0]},
        "cpu_s": {s: med(s, "cpu_s") for s in rounds[0]},
        "before_over_drain": ratio_median("before", "drain"),
        "after_over_drain": ratio_median("after", "drain"),
        "after_over_before": ratio_median("after", "before"),
        "rounds": rounds,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.compare", description=__doc__)
    parser.add_argument("--before", type=Path, required=True, help="tree holding lookervault/")
    parser.add_argument("--dataset", default="DU", help="a name of benchmarks/datasets.py")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--extract-flags", default="", help="more flags for both extracts, e.g. '--workers 2'"
    )
    parser.add_argument("--output", type=Path, default=None, help="JSON file for the figures")
    parser.add_argument("--latency-ms", type=float, default=None, help="the mock's latency")
    parser.add_argument("--jitter-ms", type=float, default=None, help="and its jitter")
    parser.add_argument("--types", default="", help="content types, comma-separated")
    parser.add_argument("--told-rate", type=float, default=None, help="add a told-rate extract")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    if not (args.before / "lookervault" / "__init__.py").is_file():
        parser.error(f"--before {args.before}: no lookervault package there")
    with tempfile.TemporaryDirectory(prefix="lookervault-compare-") as tmp:
        knobs = MockKnobs(
            latency_ms=args.latency_ms or 0.0, latency_jitter_ms=args.jitter_ms or 0.0
        )
        types = tuple(t for t in args.types.split(",") if t)
        result = compare(
            args.before.resolve(),
            args.dataset,
            args.runs,
            Path(tmp),
            args.extract_flags.split(),
            knobs,
            types,
            told_rate=args.told_rate,
        )
    figures = {k: v for k, v in result.items() if k != "rounds"}
    sys.stdout.write(orjson.dumps(figures, option=orjson.OPT_INDENT_2).decode() + "\n")
    if args.output:
        args.output.write_bytes(orjson.dumps(result, option=orjson.OPT_INDENT_2))
    return 0 if result["complete"] else 1


if __name__ == "__main__":
    sys.exit(main())
