"""Where a latency-bound extract loses time: every request's time in flight, slot occupancy, loop stalls.

`python -m benchmarks.slots --latency-ms 100 [--concurrency 32] [--log FILE] -- [extract arguments]`
runs `lookervault extract` in this process (LOOKERSDK_* name the Looker, as for the CLI), notes
when each request left and came back, and watches the event loop with a 5 ms timer. It prints the
run against the ideal (requests x latency / concurrency), the mean time in flight against the
server's latency, how many slots were busy in each quarter second, each endpoint's first and last
request, and the loop's stalls. Benchmark S2 gives the figures; this says where the gap is.
`--log` also writes a timeline, one line per request (sent, answered, the job it counts for, path
and query) and per milestone of the run (process start, vault opened, pipeline, commits, the
run's end), which is what a critical path is read from.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio

__all__ = ["Trace", "main", "occupancy", "summary", "timeline"]

_STEP_S = 0.25
_TICK_S = 0.005
_STALL_S = 0.02  # a timer this late means the loop was busy (or the process not scheduled)
_SHOWN = ("fields", "deleted", "limit", "offset")  # the query parameters the timeline shows
_ID = re.compile(r"/[^/?]*\d[^/?]*")


@dataclass
class Trace:
    """Requests as (start, end, path) seconds from the first one, and loop stalls (at, late)."""

    requests: list[tuple[float, float, str]] = field(default_factory=list)
    stalls: list[tuple[float, float]] = field(default_factory=list)
    origin: float | None = None
    # (at, label) milestones, and per request (sent, answered, job, path with query) for --log
    marks: list[tuple[float, str]] = field(default_factory=list)
    detail: list[tuple[float, float, str, str]] = field(default_factory=list)
    writes: list[tuple[float, float]] = field(default_factory=list)  # VaultWriter.write spans
    write_cpu: float = 0.0  # CPU seconds of the writer threads inside VaultWriter.write
    loop_cpu: float = 0.0  # CPU seconds of the event loop's thread over the run's pipeline

    def mark(self, label: str) -> None:
        """Note a milestone of the run now."""
        self.marks.append((self.clock(), label))

    def clock(self) -> float:
        now = time.perf_counter()
        if self.origin is None:
            self.origin = now
        return now - self.origin


def occupancy(requests: list[tuple[float, float, str]], step: float = _STEP_S) -> list[float]:
    """Mean requests in flight in each `step` seconds from 0 to the last answer."""
    end = max((e for _, e, _ in requests), default=0.0)
    slots = [0.0] * (int(end / step) + 1)
    for start, stop, _ in requests:
        b = int(start / step)
        while b < len(slots) and b * step < stop:
            slots[b] += max(0.0, min(stop, (b + 1) * step) - max(start, b * step)) / step
            b += 1
    return slots


def summary(trace: Trace, latency_s: float, concurrency: int) -> list[str]:
    """The report's lines, in seconds from the first request (the login)."""
    if not trace.requests:
        return ["no requests"]
    first = min(s for s, _, _ in trace.requests)
    reqs = [(s - first, e - first, path) for s, e, path in trace.requests]
    stalls = [(at - first, late) for at, late in trace.stalls]
    end = max(e for _, e, _ in reqs)
    busy = sum(e - s for s, e, _ in reqs)
    ideal = len(reqs) * latency_s / concurrency
    lines = [
        f"requests {len(reqs)}, last answer at {end:.2f} s, ideal {ideal:.2f} s: {ideal / end:.3f}",
        f"time in flight: mean {1000 * busy / len(reqs):.1f} ms against {1000 * latency_s:.0f} ms",
        f"busy slot-seconds {busy:.1f} of {concurrency * end:.1f}: {busy / concurrency / end:.3f}",
        f"loop stalls over {1000 * _STALL_S:.0f} ms: {len(stalls)}, "
        f"{sum(late for _, late in stalls):.2f} s in all",
    ]
    per_second: dict[int, float] = defaultdict(float)
    for at, late in stalls:
        per_second[int(at)] += late
    if per_second:
        lines.append(
            "  stalled s per second: "
            + ", ".join(f"{sec}: {late:.2f}" for sec, late in sorted(per_second.items()))
        )
    if trace.writes:
        spans = [(s - first, e - first) for s, e in trace.writes]
        held = sum(e - s for s, e in spans)
        lines.append(
            f"writer: {len(spans)} batches, {held:.2f} s in VaultWriter.write "
            f"({trace.write_cpu:.2f} s of CPU), "
            f"from {min(s for s, _ in spans):.2f} to {max(e for _, e in spans):.2f} s; "
            f"the event loop's thread used {trace.loop_cpu:.2f} s of CPU in the pipeline"
        )
    lines.append(f"requests in flight per {_STEP_S} s:")
    slots = [f"{n:4.0f}" for n in occupancy(reqs)]
    per_line = 16
    lines += [
        f"{i * _STEP_S:7.2f} s " + "".join(slots[i : i + per_line])
        for i in range(0, len(slots), per_line)
    ]
    kinds: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for start, stop, path in reqs:
        kinds[_ID.sub("/{}", path.removeprefix("/api/4.0"))].append((start, stop))
    for kind, spans in sorted(kinds.items(), key=lambda kv: min(s for s, _ in kv[1])):
        mean_ms = 1000 * sum(e - s for s, e in spans) / len(spans)
        lines.append(
            f"{kind[:44]:44s} n={len(spans):5d} first {min(s for s, _ in spans):6.2f} "
            f"last answer {max(e for _, e in spans):6.2f} mean {mean_ms:6.1f} ms"
        )
    return lines


def timeline(trace: Trace) -> list[str]:
    """Every request and milestone in the order it happened: `sent answered job what`."""
    rows = [(at, at, "", f"-- {label}") for at, label in trace.marks]
    rows += [(s, e, job, f"{m}") for s, e, job, m in trace.detail]
    rows.sort(key=lambda row: (row[0], row[1]))
    return [
        f"{start:7.3f} {stop:7.3f} {job:12s} {what}" if job else f"{start:7.3f}         {what}"
        for start, stop, job, what in rows
    ]


def _since_process_start() -> float:
    """Seconds since this process started (Linux /proc; 0 elsewhere)."""
    try:
        with open("/proc/self/stat") as stat, open("/proc/uptime") as up:
            started = int(stat.read().rpartition(")")[2].split()[19])
            return float(up.read().split()[0]) - started / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return 0.0


def _instrument(trace: Trace) -> None:
    """Wrap the pools' request, the run's task group and the vault's milestones (this process)."""
    import lookervault.backup.run as run_module
    import lookervault.looker.pools as pools
    import lookervault.vault.store as store
    from lookervault.looker.request_counter import _counted_as

    send = pools.PooledClients.request

    async def request(self: Any, method: str, url: str, **kwargs: Any) -> Any:
        start = trace.clock()
        try:
            return await send(self, method, url, **kwargs)
        finally:
            stop, text = trace.clock(), str(url).removeprefix("/api/4.0")
            shown = {k: v for k, v in (kwargs.get("params") or {}).items() if k in _SHOWN}
            if shown:
                text += "?" + "&".join(f"{k}={v}" for k, v in shown.items())
            trace.requests.append((start, stop, str(url).split("?")[0]))
            trace.detail.append((start, stop, _counted_as.get(), f"{method} {text}"))

    def marked(cls: Any, name: str, label: str) -> None:
        inner = getattr(cls, name)

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            trace.mark(f"{label} starts")
            try:
                return inner(*args, **kwargs)
            finally:
                trace.mark(f"{label} ends")

        setattr(cls, name, wrapper)

    import lookervault.metrics as metrics_module

    started = metrics_module.Metrics.__init__

    def metrics_init(self: Any, *args: Any, **kwargs: Any) -> None:
        trace.mark("Metrics created: report.elapsed_s begins")
        started(self, *args, **kwargs)

    metrics_module.Metrics.__init__ = metrics_init  # type: ignore[method-assign]
    import lookervault.vault.writer as writer_module

    write = writer_module.VaultWriter.write

    def timed_write(self: Any, batch: Any) -> None:
        start, cpu = trace.clock(), time.thread_time()
        try:
            write(self, batch)
        finally:
            trace.writes.append((start, trace.clock()))
            trace.write_cpu += time.thread_time() - cpu

    writer_module.VaultWriter.write = timed_write  # type: ignore[method-assign]
    marked(store.Vault, "__init__", "vault open")
    marked(store.Vault, "start_run", "start_run")
    marked(store.Vault, "finish_run", "finish_run")
    marked(store.Vault, "mark_unseen_gone", "mark_unseen_gone")
    marked(store.Vault, "close", "vault close")
    committed = run_module._Run._committed

    def noted(self: Any, name: str, items: int, slot: Any = None) -> None:
        trace.mark(f"committed {name}: {items} items")
        committed(self, name, items, slot)

    run_module._Run._committed = noted  # type: ignore[method-assign]

    async def watch() -> None:
        while True:
            before = trace.clock()
            await anyio.sleep(_TICK_S)
            late = trace.clock() - before - _TICK_S
            if late > _STALL_S:
                trace.stalls.append((before, late))

    run = run_module._Run.run

    async def watched(self: Any) -> None:
        trace.mark("pipeline starts")
        cpu = time.thread_time()
        async with anyio.create_task_group() as tg:
            tg.start_soon(watch)
            await run(self)
            tg.cancel_scope.cancel()
        trace.loop_cpu += time.thread_time() - cpu
        trace.mark("pipeline ends")

    pools.PooledClients.request = request  # type: ignore[method-assign]
    run_module._Run.run = watched  # type: ignore[method-assign]


def main(argv: list[str] | None = None) -> int:
    """Run the extract with the trace, then print the summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency-ms", type=float, required=True, help="the server's latency")
    parser.add_argument("--concurrency", type=int, default=None, help="default: the CLI's")
    parser.add_argument("--log", type=Path, default=None, help="write the timeline here")
    parser.add_argument("extract", nargs=argparse.REMAINDER, help="after --: extract arguments")
    args = parser.parse_args(argv)
    trace = Trace()
    trace.marks.append((-_since_process_start(), "process start"))
    trace.mark("benchmarks.slots main")
    from lookervault.cli.app import main as cli
    from lookervault.config import DEFAULT_CONCURRENCY

    _instrument(trace)
    extract_args = [a for a in args.extract if a != "--"]
    if args.concurrency is not None:
        extract_args += ["--concurrency", str(args.concurrency)]
    try:
        cli(["extract", *extract_args])
    except SystemExit as stop:
        if stop.code not in (0, None):
            sys.stderr.write(f"extract ended with exit status {stop.code}\n")
    trace.mark("extract returned")
    concurrency = args.concurrency or DEFAULT_CONCURRENCY
    if args.log is not None:
        args.log.write_text("\n".join(timeline(trace)) + "\n")
    sys.stdout.write("\n".join(summary(trace, args.latency_ms / 1000, concurrency)) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
