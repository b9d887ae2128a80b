"""The scenarios (S0 start-up in startup.py, S8 verify in verify.py, S1-S7 here): each runs measured processes and returns its figures and ratios."""

from __future__ import annotations

import logging
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import orjson

from benchmarks.completeness import check_baseline
from benchmarks.datasets import dataset
from benchmarks.drain import plan_requests
from benchmarks.harness import (
    Context,
    Flags,
    committed_items,
    median,
    medians,
    ratio,
    record_of,
    remove_tree,
)
from benchmarks.mockserver import MockKnobs, MockServer
from benchmarks.process import run_measured
from benchmarks.rate_grid import s9_rate_grid
from benchmarks.startup import s0_startup
from benchmarks.verify import s8_verify
from lookervault.config import DEFAULT_CONCURRENCY, DEFAULT_PAGE_SIZE, DEFAULT_WORKERS

__all__ = ["FULL", "SCENARIOS", "SMOKE", "Sizes"]

logger = logging.getLogger(__name__)

LATENCY_MS = 100.0
JITTER_MS = 20.0
SLOW = MockKnobs(latency_ms=LATENCY_MS, latency_jitter_ms=JITTER_MS)
S2_TOLD_RATE = 100_000.0  # far above what 32 requests in flight at 100 ms can send
FAST = MockKnobs()
DEFAULT = Flags()
_MB = 1_000_000
_KILL_POLL_S = 0.1


@dataclass(frozen=True)
class Sizes:
    """Which dataset each scenario uses, and the S4 grid, for one mode (full or smoke)."""

    s1: str
    s1_du: str  # S1's second dataset: dashboards and users only
    s2: str
    s3: str
    s3_rate: float
    s4_fast: str
    s4_slow: str
    s4_workers: tuple[int, ...]
    s4_concurrency: tuple[int, ...]
    s4_slow_workers: tuple[int, ...]
    s4_slow_concurrency: tuple[int, ...]
    s5: tuple[str, str]
    s5_big_runs: int | None
    s6_fast: str
    s6_slow: str
    s7: str


FULL = Sizes(
    s1="M",
    s1_du="DU",
    s2="M/10",
    # About 2,200 requests at 50/s: long enough that the first burst (about as many 429s as
    # requests in flight when Looker's limit is still unknown) is not most of the figure.
    s3="M/10",
    s3_rate=50.0,
    s4_fast="M/40",
    s4_slow="M/40",
    s4_workers=(1, 2, 4, 8, 16, 32),
    s4_concurrency=(8, 16, 32),
    s4_slow_workers=(1, 4, 16),
    s4_slow_concurrency=(8, 32, 128),
    s5=("M", "5M"),
    s5_big_runs=1,
    s6_fast="M/40",
    s6_slow="M/40",
    s7="M/10",
)
SMOKE = Sizes(
    s1="M/400",
    s1_du="DU/400",
    s2="M/400",
    s3="M/400",
    s3_rate=100.0,
    s4_fast="M/400",
    s4_slow="M/400",
    s4_workers=(1, 4),
    s4_concurrency=(16,),
    s4_slow_workers=(4,),
    s4_slow_concurrency=(16,),
    s5=("M/400", "5M/400"),
    s5_big_runs=None,
    s6_fast="M/400",
    s6_slow="M/400",
    s7="M/100",
)

_HEADLINE = (
    "report.elapsed_s",
    "report.items_per_s",
    "report.requests",
    "wall_s",
    "cpu_s",
    "peak_rss_mb",
    "completeness.content_bytes",
)


def _items(record: dict[str, Any]) -> int:
    report = record["report"]  # an extract's JSON says "counts"; the looker-sdk baseline "items"
    return sum((report.get("counts") or report.get("items") or {}).values())


def _summary(records: list[dict[str, Any]]) -> dict[str, Any]:
    out = medians(records, *_HEADLINE)
    elapsed = out["report.elapsed_s"]
    out["items"] = median(_items(r) for r in records)
    out["requests_per_s"] = round(out["report.requests"] / elapsed, 1) if elapsed else 0.0
    out["mb_per_s"] = (
        round(out["completeness.content_bytes"] / _MB / elapsed, 2) if elapsed else 0.0
    )
    out["complete"] = all(r.get("completeness", {}).get("ok") for r in records)
    return out


def _run_drain(ctx: Context, server: MockServer, plan: Path, concurrency: int) -> dict[str, Any]:
    server.reset_stats()
    cmd = [sys.executable, "-m", "benchmarks.drain", "--plan", str(plan)]
    cmd += ["--concurrency", str(concurrency)]
    record = record_of(run_measured(cmd, server.env(), plan.parent))
    report = record["report"]
    report["requests_per_s"] = round(report["requests"] / report["elapsed_s"], 1)
    return record


# --- S1 -------------------------------------------------------------------------------------


def _write_plan(ctx: Context, server: MockServer, types: tuple[str, ...] = ()) -> tuple[Path, int]:
    """The drain's request list for an extract of `types` (all when empty): file and length."""
    env = server.env()
    plan = ctx.scratch("plan") / "plan.json"
    urls = plan_requests(
        server.url, env["LOOKERSDK_CLIENT_ID"], env["LOOKERSDK_CLIENT_SECRET"], types=types
    )
    plan.write_bytes(orjson.dumps(urls))
    return plan, len(urls)


def _s1_dataset(ctx: Context, name: str) -> dict[str, Any]:
    """Latency 0: extract at default settings beside the drain replaying the same requests.

    Each round is a first night (a fresh vault), the drain, then the next night into copies of
    the first night's vault, resumed from its pace and with `--relearn-rate` (`_next_nights`).
    """
    types = dataset(name).types
    flags = Flags(types=types) if types else DEFAULT
    server = ctx.mock(name)
    plan, planned = _write_plan(ctx, server, types)
    extracts, drains = [], []
    nights: dict[str, list[dict[str, Any]]] = {"resumed": [], "relearned": []}
    for i in range(ctx.runs):  # interleaved, so all see the same machine load
        first = ctx.scratch("first-night")
        record = ctx.run_extract(name, FAST, flags, label=f"S1 {name}", db=first / "vault.db")
        ctx.remember(name, FAST, flags, record)  # S5 shares these runs
        logger.info("S1 %s: %s items/s", name, record["report"].get("items_per_s"))
        extracts.append(record)
        drains.append(_run_drain(ctx, server, plan, DEFAULT_CONCURRENCY))
        logger.info("S1 %s drain: %s requests/s", name, drains[-1]["report"]["requests_per_s"])
        for arm, night in _next_nights(ctx, name, FAST, flags, first, i, f"S1 {name}").items():
            nights[arm].append(night)
        remove_tree(first)
    ext = _summary(extracts)
    drain = medians(drains, "report.elapsed_s", "report.requests_per_s", "cpu_s", "peak_rss_mb")
    drain["requests"] = planned
    second: dict[str, Any] = {arm: _summary(records) for arm, records in nights.items()}
    for arm, records in nights.items():
        second[f"{arm}_over_drain"] = ratio(
            second[arm]["requests_per_s"], drain["report.requests_per_s"]
        )
        second[arm]["runs"] = records
    return {
        "dataset": name,
        "types": list(types),
        "settings": {"workers": DEFAULT_WORKERS, "concurrency": DEFAULT_CONCURRENCY},
        "extract": ext,
        "drain": drain,
        "extract_over_drain": ratio(ext["requests_per_s"], drain["report.requests_per_s"]),
        "second_night": second,
        "goal": "extract / drain >= 0.8",
        "runs": {"extract": extracts, "drain": drains},
    }


def s1_throughput(ctx: Context, sz: Sizes) -> dict[str, Any]:
    """S1 on every type of preset M, then on dashboards and users alone (big items, few requests)."""
    out = _s1_dataset(ctx, sz.s1)
    ctx.release_large()  # one big mock at a time
    out["dashboards_users"] = _s1_dataset(ctx, sz.s1_du)
    return out


# --- S2 -------------------------------------------------------------------------------------


def _latency_figures(summary: dict[str, Any], concurrency: int) -> dict[str, Any]:
    latency_s = LATENCY_MS / 1000
    ideal_s = summary["report.requests"] * latency_s / concurrency
    page_ideal = concurrency * DEFAULT_PAGE_SIZE / latency_s
    return {
        "ideal_s_for_these_requests": round(ideal_s, 3),
        "achieved_over_ideal": ratio(ideal_s, summary["report.elapsed_s"]),
        "ideal_items_per_s_full_pages": page_ideal,
        "achieved_over_full_page_ideal": ratio(summary["report.items_per_s"], page_ideal),
    }


def s2_latency(ctx: Context, sz: Sizes) -> dict[str, Any]:
    """100 +- 20 ms per request: everything, and dashboards alone; each beside the drain.

    The drain fetches the same requests with nothing between them (no listing before paging,
    no commits), so drain / ideal is what this machine and server reach at this latency.
    """
    out: dict[str, Any] = {"dataset": sz.s2, "latency_ms": [LATENCY_MS, JITTER_MS]}
    server = ctx.mock(sz.s2, SLOW)
    for key, flags in (("all_types", DEFAULT), ("dashboards_only", Flags(types=("dashboards",)))):
        records = ctx.extract_runs(sz.s2, SLOW, flags, label=f"S2 {key}")
        summary = _summary(records)
        figures = _latency_figures(summary, DEFAULT_CONCURRENCY)
        plan, planned = _write_plan(ctx, server, flags.types)
        drains = [_run_drain(ctx, server, plan, DEFAULT_CONCURRENCY) for _ in range(ctx.runs)]
        drain_s = median(r["report"]["elapsed_s"] for r in drains)
        # The drain's span and count include its login (and its span the logout), as the
        # extract's do: the same requests, the same span.
        drain_requests = drains[0]["report"]["requests"] if drains else planned + 1
        drain_ideal_s = drain_requests * LATENCY_MS / 1000 / DEFAULT_CONCURRENCY
        drain_over_ideal = ratio(drain_ideal_s, drain_s)
        out[key] = {
            **summary,
            **figures,
            "drain_elapsed_s": round(drain_s, 3),
            "drain_fetch_s": round(median(r["report"].get("fetch_s", 0) for r in drains), 3),
            "drain_requests": drain_requests,
            "drain_over_ideal": drain_over_ideal,
            "extract_over_drain": ratio(figures["achieved_over_ideal"] or 0, drain_over_ideal or 0),
            "runs": records,
            "drain_runs": drains,
        }
        logger.info("S2 %s: drain / ideal %s", key, drain_over_ideal)
        # The same with a rate given: the adaptive limiter's slow start (from
        # RATE_START_PER_S) set aside, so the figure is the scheduling's alone.
        told = Flags(types=flags.types, rate_limit_per_second=S2_TOLD_RATE)
        paced = ctx.extract_runs(sz.s2, SLOW, told, label=f"S2 {key} told rate")
        paced_summary = _summary(paced)
        out[key]["told_rate"] = {
            "rate_limit_per_second": S2_TOLD_RATE,
            **paced_summary,
            **_latency_figures(paced_summary, DEFAULT_CONCURRENCY),
            "runs": paced,
        }
    out["all_types"]["second_night"] = _second_night(ctx, sz.s2, DEFAULT)
    out["goal"] = "achieved / ideal >= 0.9"
    return out


def _next_nights(
    ctx: Context, name: str, knobs: MockKnobs, flags: Flags, first: Path, round_: int, label: str
) -> dict[str, dict[str, Any]]:
    """The next backup into copies of the vault in *first*: its limiter resumed from what the
    first run learned (backup/pace.py), and told `--relearn-rate`; their order alternates."""
    records: dict[str, dict[str, Any]] = {}
    order = [("resumed", flags), ("relearned", replace(flags, relearn_rate=True))]
    for arm, arm_flags in order[:: -1 if round_ % 2 else 1]:
        folder = ctx.scratch(f"second-night-{arm}")
        for path in first.iterdir():
            shutil.copy2(path, folder / path.name)
        records[arm] = ctx.run_extract(
            name, knobs, arm_flags, label=f"{label} second night {arm}", db=folder / "vault.db"
        )
        remove_tree(folder)
    return records


def _second_night(ctx: Context, name: str, flags: Flags) -> dict[str, Any]:
    """S2's next night, resumed against relearned, each round after a first night of its own."""
    arms: dict[str, list[dict[str, Any]]] = {"resumed": [], "relearned": []}
    for round_ in range(ctx.runs):
        first = ctx.scratch("first-night")
        ctx.run_extract(name, SLOW, flags, label="S2 first night", db=first / "vault.db")
        for arm, record in _next_nights(ctx, name, SLOW, flags, first, round_, "S2").items():
            arms[arm].append(record)
        remove_tree(first)
    out: dict[str, Any] = {}
    for arm, records in arms.items():
        summary = _summary(records)
        out[arm] = {
            **summary,
            **_latency_figures(summary, DEFAULT_CONCURRENCY),
            "runs": records,
        }
    out["resumed_over_relearned"] = ratio(
        out["resumed"]["achieved_over_ideal"] or 0, out["relearned"]["achieved_over_ideal"] or 0
    )
    logger.info("S2 second night: resumed / relearned %s", out["resumed_over_relearned"])
    return out


# --- S3 -------------------------------------------------------------------------------------


def _rate_figures(records: list[dict[str, Any]], rate: float) -> dict[str, Any]:
    ok = [r["mock"]["by_status"].get("200", 0) for r in records]
    limited = [r["mock"]["rate_limited"] for r in records]
    total = [r["mock"]["requests"] for r in records]
    per_s = [o / r["report"]["elapsed_s"] for o, r in zip(ok, records, strict=True)]
    return {
        "ok_requests_per_s": round(median(per_s), 2),
        "achieved_over_allowed": ratio(median(per_s), rate),
        "share_429": round(median(lim / t for lim, t in zip(limited, total, strict=True)), 4),
        "complete": all(r["completeness"]["ok"] for r in records),
        "elapsed_s": round(median(r["report"]["elapsed_s"] for r in records), 3),
    }


def s3_rate_limit(ctx: Context, sz: Sizes) -> dict[str, Any]:
    """The mock allows R requests/s (429 + Retry-After 1 beyond): adaptive, then told R."""
    knobs = MockKnobs(rate_limit_per_s=sz.s3_rate, retry_after_s=1.0)
    out: dict[str, Any] = {"dataset": sz.s3, "allowed_per_s": sz.s3_rate}
    for key, flags in (
        ("adaptive", DEFAULT),
        ("told_rate", Flags(rate_limit_per_second=sz.s3_rate)),
    ):
        records = ctx.extract_runs(sz.s3, knobs, flags, label=f"S3 {key}")
        out[key] = {**_rate_figures(records, sz.s3_rate), "runs": records}
    out["goal"] = "achieved / allowed >= 0.9 with 429s < 2%"
    return out


# --- S4 -------------------------------------------------------------------------------------


def _grid(
    ctx: Context, name: str, knobs: MockKnobs, workers: tuple[int, ...], conc: tuple[int, ...]
) -> list[dict[str, Any]]:
    cells = []
    for c in conc:
        for w in workers:
            records = ctx.extract_runs(
                name, knobs, Flags(workers=w, concurrency=c), label=f"S4 w{w} c{c}"
            )
            summary = _summary(records)
            cells.append({"workers": w, "concurrency": c, **summary})
    return cells


def s4_scaling(ctx: Context, sz: Sizes) -> dict[str, Any]:
    """--workers x --concurrency at latency 0 and at 100 ms: items/s per cell, and the best."""
    fast = _grid(ctx, sz.s4_fast, FAST, sz.s4_workers, sz.s4_concurrency)
    slow = _grid(ctx, sz.s4_slow, SLOW, sz.s4_slow_workers, sz.s4_slow_concurrency)

    def best(cells: list[dict[str, Any]]) -> dict[str, Any]:
        top = max(cells, key=lambda c: c["report.items_per_s"])
        return {k: top[k] for k in ("workers", "concurrency", "report.items_per_s")}

    return {
        "latency_0": {"dataset": sz.s4_fast, "cells": fast, "best": best(fast)},
        "latency_100ms": {"dataset": sz.s4_slow, "cells": slow, "best": best(slow)},
    }


# --- S5 -------------------------------------------------------------------------------------


def s5_memory(ctx: Context, sz: Sizes) -> dict[str, Any]:
    """Peak RSS of the extract process on a dataset and on five times it."""
    small, big = sz.s5
    small_runs = ctx.extract_runs(small, FAST, DEFAULT, label=f"S5 {small}")
    ctx.release_large()  # the 1x server is not needed while the 5x one runs
    big_runs = ctx.extract_runs(big, FAST, DEFAULT, label=f"S5 {big}", runs=sz.s5_big_runs)
    rss_small = median(r["peak_rss_mb"] for r in small_runs)
    rss_big = median(r["peak_rss_mb"] for r in big_runs)
    return {
        "datasets": [small, big],
        "runs_each": [len(small_runs), len(big_runs)],
        "peak_rss_mb": [rss_small, rss_big],
        "items": [median(_items(r) for r in small_runs), median(_items(r) for r in big_runs)],
        "elapsed_s": [
            median(r["report"]["elapsed_s"] for r in small_runs),
            median(r["report"]["elapsed_s"] for r in big_runs),
        ],
        "big_over_small": ratio(rss_big, rss_small),
        "complete": all(r["completeness"]["ok"] for r in small_runs + big_runs),
        "goal": "5x costs <= 1.2x peak memory and < 150 MB",
    }


# --- S6 -------------------------------------------------------------------------------------


def _baseline_runs(ctx: Context, name: str, knobs: MockKnobs) -> list[dict[str, Any]]:
    server = ctx.mock(name, knobs)
    records = []
    for _ in range(ctx.runs):
        folder = ctx.scratch("baseline")
        server.reset_stats()
        cmd = [sys.executable, "-m", "benchmarks.baseline_sdk", "--db", str(folder / "b.db")]
        record = record_of(run_measured(cmd, server.env(), folder))
        result = check_baseline(folder / "b.db", server.ground_truth_hashes())
        if not result.ok:
            ctx.incomplete.append(f"S6 baseline {name}: {result.detail}")
        record["completeness"] = result.as_dict()
        logger.info("S6 baseline %s: %.1f s", name, record["report"].get("elapsed_s", 0))
        records.append(record)
    return records


def s6_baseline(ctx: Context, sz: Sizes) -> dict[str, Any]:
    """A sequential looker-sdk script against LookerVault's defaults, at latency 0 and 100 ms."""
    out: dict[str, Any] = {"goal": ">= 10x baseline at latency 0, >= 20x at 100 ms"}
    for key, name, knobs in (("latency_0", sz.s6_fast, FAST), ("latency_100ms", sz.s6_slow, SLOW)):
        base = _baseline_runs(ctx, name, knobs)
        ours = ctx.extract_runs(name, knobs, DEFAULT, label=f"S6 {key}")
        base_s = median(r["report"].get("elapsed_s", 0) for r in base)
        ours_s = median(r["report"]["elapsed_s"] for r in ours)
        out[key] = {
            "dataset": name,
            "baseline_elapsed_s": round(base_s, 3),
            "baseline_requests": median(r["report"].get("requests", 0) for r in base),
            "lookervault_elapsed_s": round(ours_s, 3),
            "lookervault_over_baseline": ratio(base_s, ours_s),
            "complete": all(r["completeness"]["ok"] for r in base + ours),
            "baseline_runs": base,
        }
    return out


# --- S7 -------------------------------------------------------------------------------------


def _half_way(total: int) -> Callable[[Path], bool]:
    last = [0.0]

    def reached(db: Path) -> bool:
        now = time.monotonic()
        if now - last[0] < _KILL_POLL_S:
            return False
        last[0] = now
        return committed_items(db) >= total // 2

    return reached


def s7_resume(ctx: Context, sz: Sizes) -> dict[str, Any]:
    """kill -9 half way, then --resume: total time against uninterrupted runs, vault complete."""
    server = ctx.mock(sz.s7)
    total = sum(len(ids) for ids in server.ground_truth_hashes().values())
    plain = ctx.extract_runs(sz.s7, FAST, DEFAULT, label="S7 uninterrupted")
    attempts = []
    for _ in range(ctx.runs):
        db = ctx.scratch("resume") / "vault.db"
        first = ctx.run_extract(
            sz.s7, FAST, DEFAULT, label="S7 killed", check=False, kill_when=_half_way(total), db=db
        )
        first["committed_at_kill"] = committed_items(db)
        second = ctx.run_extract(sz.s7, FAST, Flags(resume=True), label="S7 resumed", db=db)
        attempts.append(
            {"killed": first, "resumed": second, "wall_s": first["wall_s"] + second["wall_s"]}
        )
    plain_wall = median(r["wall_s"] for r in plain)
    resumed_wall = median(a["wall_s"] for a in attempts)
    return {
        "dataset": sz.s7,
        "items": total,
        "uninterrupted_wall_s": round(plain_wall, 3),
        "killed_plus_resumed_wall_s": round(resumed_wall, 3),
        "resumed_over_uninterrupted": ratio(resumed_wall, plain_wall),
        "all_killed_mid_run": all(a["killed"]["killed"] for a in attempts),
        "complete": all(a["resumed"]["completeness"]["ok"] for a in attempts),
        "attempts": attempts,
    }


SCENARIOS: dict[str, Callable[[Context, Sizes], dict[str, Any]]] = {
    "S0": s0_startup,
    "S1": s1_throughput,
    "S2": s2_latency,
    "S3": s3_rate_limit,
    "S4": s4_scaling,
    "S5": s5_memory,
    "S6": s6_baseline,
    "S7": s7_resume,
    "S8": s8_verify,
    "S9": s9_rate_grid,
}
