"""The machine description and the results files: JSON with every run, markdown with the figures."""

from __future__ import annotations

import os
import platform
import socket
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

__all__ = ["describe_code", "describe_machine", "render_markdown", "write_results"]

_GIB = 1024**3
_ROOT = Path(__file__).resolve().parents[1]


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_gib() -> float:
    try:
        pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError):
        return 0.0
    return round(pages / _GIB, 1)


def describe_machine() -> dict[str, Any]:
    """Cores, memory, CPU, OS, Python and SQLite versions, load at the start."""
    return {
        "host": socket.gethostname(),
        "cores": os.cpu_count(),
        "cpu": _cpu_model(),
        "memory_gib": _memory_gib(),
        "os": platform.platform(),
        "python": sys.version.split()[0],
        "sqlite": sqlite3.sqlite_version,
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def _git(*args: str) -> str:
    try:
        done = subprocess.run(
            ["git", *args], cwd=_ROOT, capture_output=True, text=True, timeout=10, check=False
        )
    except OSError:
        return ""
    return done.stdout


def describe_code() -> dict[str, Any]:
    """The commit measured, and the files that differed from it when the run started."""
    dirty = [line[3:] for line in _git("status", "--porcelain").splitlines()]
    return {"commit": _git("rev-parse", "--short", "HEAD").strip(), "uncommitted": dirty}


def write_results(results: dict[str, Any], folder: Path) -> tuple[Path, Path]:
    """Write `<date>-<host>.json` and `.md` into folder; return both paths."""
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"{datetime.now(UTC):%Y-%m-%d}-{results['machine']['host']}"
    json_path, md_path = folder / f"{stem}.json", folder / f"{stem}.md"
    json_path.write_bytes(orjson.dumps(results, option=orjson.OPT_INDENT_2))
    md_path.write_text(render_markdown(results))
    return json_path, md_path


def _fmt(value: Any) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:,.3f}" if abs(value) < 10 else f"{value:,.1f}"
    return str(value)


def _met(ok: bool | None) -> str:
    return "n/a" if ok is None else ("met" if ok else "**missed**")


def _s1_rows(s1: dict[str, Any]) -> list[tuple[str, str, Any, str, bool | None]]:
    e, r, name = s1["extract"], s1["extract_over_drain"], s1["dataset"]
    return [
        ("S1", f"extract items/s ({name})", e["report.items_per_s"], "", None),
        (
            "S1",
            f"extract MB/s / requests/s ({name})",
            f"{e['mb_per_s']} / {e['requests_per_s']}",
            "",
            None,
        ),
        (
            "S1",
            f"extract CPU s / peak RSS MB ({name})",
            f"{e['cpu_s']} / {e['peak_rss_mb']}",
            "",
            None,
        ),
        ("S1", f"drain requests/s ({name})", s1["drain"]["report.requests_per_s"], "", None),
        ("S1", f"extract / drain ({name})", r, ">= 0.8", r is not None and r >= 0.8),
    ] + _s1_next_night(s1)


def _s1_next_night(s1: dict[str, Any]) -> list[tuple[str, str, Any, str, bool | None]]:
    night = s1.get("second_night")
    if not night:
        return []
    figures = f"{_fmt(night['resumed_over_drain'])}; {_fmt(night['relearned_over_drain'])}"
    label = "second night: extract / drain resumed from the first's pace; with --relearn-rate"
    return [("S1", f"{label} ({s1['dataset']})", figures, "", None)]


def _rows(s: dict[str, Any]) -> list[tuple[str, str, Any, str, bool | None]]:
    rows: list[tuple[str, str, Any, str, bool | None]] = _startup_rows(s.get("S0"))
    if "S1" in s:
        rows += _s1_rows(s["S1"])
        if "dashboards_users" in s["S1"]:
            rows += _s1_rows(s["S1"]["dashboards_users"])
    if "S2" in s:
        for key in ("all_types", "dashboards_only"):
            v = s["S2"][key]
            ok = (v["achieved_over_ideal"] or 0) >= 0.9
            rows.append(
                (
                    "S2",
                    f"{key}: achieved / ideal ({s['S2']['dataset']})",
                    v["achieved_over_ideal"],
                    ">= 0.9",
                    ok,
                )
            )
            rows.append(
                (
                    "S2",
                    f"{key}: items/s / full-page ideal",
                    v["achieved_over_full_page_ideal"],
                    "",
                    None,
                )
            )
            if "drain_over_ideal" in v:
                rows.append(
                    (
                        "S2",
                        f"{key}: drain / ideal; extract / drain",
                        f"{_fmt(v['drain_over_ideal'])}; {_fmt(v['extract_over_drain'])}",
                        "",
                        None,
                    )
                )
            if "told_rate" in v:
                told = v["told_rate"]
                rows.append(
                    (
                        "S2",
                        f"{key}: achieved / ideal, --rate-limit-per-second "
                        f"{told['rate_limit_per_second']:g} (no slow start)",
                        told["achieved_over_ideal"],
                        "",
                        None,
                    )
                )
            if "second_night" in v:
                night = v["second_night"]
                rows.append(
                    (
                        "S2",
                        f"{key}, second night: achieved / ideal resumed from the first's pace;"
                        " with --relearn-rate",
                        f"{_fmt(night['resumed']['achieved_over_ideal'])};"
                        f" {_fmt(night['relearned']['achieved_over_ideal'])}",
                        "",
                        None,
                    )
                )
    if "S3" in s:
        for key in ("adaptive", "told_rate"):
            v = s["S3"][key]
            ok = (v["achieved_over_allowed"] or 0) >= 0.9 and v["share_429"] < 0.02
            rows.append(
                (
                    "S3",
                    f"{key}: achieved / allowed, 429 share",
                    f"{v['achieved_over_allowed']}, {v['share_429']:.2%}",
                    ">= 0.9, < 2%",
                    ok,
                )
            )
    if "S4" in s:
        for key in ("latency_0", "latency_100ms"):
            b = s["S4"][key]["best"]
            rows.append(
                (
                    "S4",
                    f"best at {key}",
                    f"--workers {b['workers']} --concurrency {b['concurrency']}: {b['report.items_per_s']} items/s",
                    "",
                    None,
                )
            )
    if "S5" in s:
        v = s["S5"]
        ok = (v["big_over_small"] or 9) <= 1.2 and v["peak_rss_mb"][1] < 150
        rows.append(
            (
                "S5",
                f"peak RSS MB {v['datasets'][0]} / {v['datasets'][1]}",
                f"{v['peak_rss_mb'][0]} / {v['peak_rss_mb'][1]}",
                "< 150",
                v["peak_rss_mb"][1] < 150,
            )
        )
        rows.append(("S5", "5x / 1x peak RSS", v["big_over_small"], "<= 1.2", ok))
    if "S6" in s:
        for key, goal in (("latency_0", 10), ("latency_100ms", 20)):
            v = s["S6"][key]
            r = v["lookervault_over_baseline"]
            rows.append(
                (
                    "S6",
                    f"LookerVault / baseline at {key} ({v['dataset']})",
                    r,
                    f">= {goal}",
                    r is not None and r >= goal,
                )
            )
    if "S7" in s:
        v = s["S7"]
        rows.append(
            (
                "S7",
                f"killed+resumed / uninterrupted wall ({v['dataset']})",
                v["resumed_over_uninterrupted"],
                "",
                None,
            )
        )
        rows.append(
            ("S7", "resumed vault equals ground truth", v["complete"], "True", v["complete"])
        )
    if "S8" in s:
        v = s["S8"]
        label = f"verify s (median of {v['runs']}; {v['dataset']}, {v['vault_mb']} MB)"
        goal = "" if v["goal_s"] is None else f"<= {v['goal_s']}"
        rows.append(("S8", label, v["median_s"], goal, v["met"]))
        rows.append(("S8", "verify MB/s", v["mb_per_s"], "", None))
    return rows


def _startup_rows(s0: dict[str, Any] | None) -> list[tuple[str, str, Any, str, bool | None]]:
    """One row per measured command: median (min-max) seconds, and times a bare interpreter."""
    if s0 is None:
        return []
    rows: list[tuple[str, str, Any, str, bool | None]] = []
    for variant in ("as_installed", "bytecode_cached"):
        figures = s0[variant]
        bare = figures["bare"]
        rows.append(
            (
                "S0",
                f"{variant}: python -c pass, s (median of {s0['runs']}, min-max)",
                f"{bare['median_s']} ({bare['min_s']}-{bare['max_s']})",
                "",
                None,
            )
        )
        for name in ("--version", "--help", "runs"):
            v = figures[name]
            value = f"{v['median_s']} ({v['min_s']}-{v['max_s']}), {v['over_bare']}x bare"
            goal, ok = (f"<= {s0['goal_s']}", v["median_s"] <= s0["goal_s"])
            rows.append(
                (
                    "S0",
                    f"{variant}: lookervault {name}, s (median of {s0['runs']}, min-max)",
                    value,
                    goal,
                    ok,
                )
            )
    return rows


def _grid_table(cells: list[dict[str, Any]]) -> list[str]:
    concs = sorted({c["concurrency"] for c in cells})
    workers = sorted({c["workers"] for c in cells})
    by = {(c["workers"], c["concurrency"]): c["report.items_per_s"] for c in cells}
    lines = ["| workers | " + " | ".join(f"c={c}" for c in concs) + " |"]
    lines.append("|---:|" + "---:|" * len(concs))
    lines += [f"| {w} | " + " | ".join(_fmt(by.get((w, c))) for c in concs) + " |" for w in workers]
    return lines


def render_markdown(results: dict[str, Any]) -> str:
    """The headline table, the S4 grids (items/s), the machine and the command."""
    m = results["machine"]
    s = {name: v for name, v in results["scenarios"].items() if "error" not in v}
    lines = [
        f"# LookerVault benchmark, {results['started']}",
        "",
        f"Machine: {m['cores']} cores ({m['cpu']}), {m['memory_gib']} GiB, {m['os']}, Python "
        f"{m['python']}, SQLite {m['sqlite']}; load average at start {m['load_average_at_start']}.",
        f"Code: commit {results['code']['commit']}"
        f" ({len(results['code']['uncommitted'])} files uncommitted at the start).",
        f"Command: `{results['command']}`; every figure is the median of {results['runs']} runs "
        f"(S5's 5x dataset: {results.get('s5_big_runs') or results['runs']}); seed {results['seed']}.",
        "",
        "| Scenario | Figure | Value | Goal | Status |",
        "|---|---|---|---|---|",
    ]
    smoke = results.get("mode") == "smoke"  # tiny data: completeness only, goals not judged
    lines += [
        f"| {sc} | {what} | {_fmt(v)} | {goal} | {'n/a (smoke)' if smoke else _met(ok)} |"
        for sc, what, v, goal, ok in _rows(s)
    ]
    for key in ("latency_0", "latency_100ms"):
        if "S4" in s:
            lines += ["", f"S4 items/s at {key} ({s['S4'][key]['dataset']}):", ""]
            lines += _grid_table(s["S4"][key]["cells"])
    lines += ["", "Datasets (mock preset M scaled; explores are per model):", ""]
    lines += [f"- {d['name']}: {d['counts']}" for d in results["datasets"]]
    if results["incomplete"]:
        lines += ["", "INCOMPLETE VAULTS (failures, not results):", ""]
        lines += [f"- {x}" for x in results["incomplete"]]
    return "\n".join(lines) + "\n"
