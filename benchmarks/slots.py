"""Where a latency-bound extract loses time: every request's time in flight, slot occupancy, loop stalls.

`python -m benchmarks.slots --latency-ms 100 [--concurrency 32] -- [extract arguments]` runs
`lookervault extract` in this process (LOOKERSDK_* name the Looker, as for the CLI), notes when
each request left and came back, and watches the event loop with a 5 ms timer. It prints the run
against the ideal (requests x latency / concurrency), the mean time in flight against the
server's latency, how many slots were busy in each quarter second, each endpoint's first and last
request, and the loop's stalls. Benchmark S2 gives the figures; this says where the gap is.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import anyio

__all__ = ["Trace", "main", "occupancy", "summary"]

_STEP_S = 0.25
_TICK_S = 0.005
_STALL_S = 0.02  # a timer this late means the loop was busy (or the process not scheduled)
_ID = re.compile(r"/[^/?]*\d[^/?]*")


@dataclass
class Trace:
    """Requests as (start, end, path) seconds from the first one, and loop stalls (at, late)."""

    requests: list[tuple[float, float, str]] = field(default_factory=list)
    stalls: list[tuple[float, float]] = field(default_factory=list)
    origin: float | None = None

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
    """The report's lines."""
    reqs = trace.requests
    if not reqs:
        return ["no requests"]
    end = max(e for _, e, _ in reqs)
    busy = sum(e - s for s, e, _ in reqs)
    ideal = len(reqs) * latency_s / concurrency
    lines = [
        f"requests {len(reqs)}, last answer at {end:.2f} s, ideal {ideal:.2f} s: {ideal / end:.3f}",
        f"time in flight: mean {1000 * busy / len(reqs):.1f} ms against {1000 * latency_s:.0f} ms",
        f"busy slot-seconds {busy:.1f} of {concurrency * end:.1f}: {busy / concurrency / end:.3f}",
        f"loop stalls over {1000 * _STALL_S:.0f} ms: {len(trace.stalls)}, "
        f"{sum(late for _, late in trace.stalls):.2f} s in all",
    ]
    per_second: dict[int, float] = defaultdict(float)
    for at, late in trace.stalls:
        per_second[int(at)] += late
    if per_second:
        lines.append(
            "  stalled s per second: "
            + ", ".join(f"{sec}: {late:.2f}" for sec, late in sorted(per_second.items()))
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


def _instrument(trace: Trace) -> None:
    """Wrap the pools' request and the run's task group (this process only)."""
    import lookervault.backup.run as run_module
    import lookervault.looker.pools as pools

    send = pools.PooledClients.request

    async def request(self: Any, method: str, url: str, **kwargs: Any) -> Any:
        start = trace.clock()
        try:
            return await send(self, method, url, **kwargs)
        finally:
            trace.requests.append((start, trace.clock(), str(url).split("?")[0]))

    async def watch() -> None:
        while True:
            before = trace.clock()
            await anyio.sleep(_TICK_S)
            late = trace.clock() - before - _TICK_S
            if late > _STALL_S:
                trace.stalls.append((before, late))

    run = run_module._Run.run

    async def watched(self: Any) -> None:
        async with anyio.create_task_group() as tg:
            tg.start_soon(watch)
            await run(self)
            tg.cancel_scope.cancel()

    pools.PooledClients.request = request  # type: ignore[method-assign]
    run_module._Run.run = watched  # type: ignore[method-assign]


def main(argv: list[str] | None = None) -> int:
    """Run the extract with the trace, then print the summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency-ms", type=float, required=True, help="the server's latency")
    parser.add_argument("--concurrency", type=int, default=None, help="default: the CLI's")
    parser.add_argument("extract", nargs=argparse.REMAINDER, help="after --: extract arguments")
    args = parser.parse_args(argv)
    from lookervault.cli.app import main as cli
    from lookervault.config import DEFAULT_CONCURRENCY

    trace = Trace()
    _instrument(trace)
    extract_args = [a for a in args.extract if a != "--"]
    if args.concurrency is not None:
        extract_args += ["--concurrency", str(args.concurrency)]
    try:
        cli(["extract", *extract_args])
    except SystemExit as stop:
        if stop.code not in (0, None):
            sys.stderr.write(f"extract ended with exit status {stop.code}\n")
    concurrency = args.concurrency or DEFAULT_CONCURRENCY
    sys.stdout.write("\n".join(summary(trace, args.latency_ms / 1000, concurrency)) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
