"""Where a paced request's timing drifts between its rate permit and the mock's rate limit.

`uv run python -m benchmarks.arrival_gaps --rate 200 [--fixed 0.9] [--seconds 10]`

Runs benchmarks.rate_driver's client (32 tasks fetching GET /user) in this process against a mock
with a token bucket of *rate* and size 1, and stamps every request (CLOCK_MONOTONIC, shared by
both processes) when the limiter granted its permit, when httpcore started and finished writing
its headers (httpx's trace extension), and when the mock's app saw it and its bucket judged it
(the mock runs under a wrapper of this module that records them). Prints, per stage, the gaps
between consecutive stamps (a bucket of one refuses a gap under 1/R) and each request's delay
from its permit, so the jitter can be told apart: our loop, httpcore, or the mock's own stamping.
"""

from __future__ import annotations

import argparse
import atexit
import contextvars
import itertools
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import anyio
import orjson

_ID_HEADER = "x-arrival-id"
_ID_BYTES = _ID_HEADER.encode()
_PERCENTILES = (1, 5, 10, 50)


def _serve(out: str, argv: list[str]) -> None:
    """The mock, recording (id, app time, admitted) per request, written to *out* on exit."""
    from lookervault.cli.app import main as cli_main
    from lookervault.mock import app, limits

    seen: list[tuple[int, float]] = []
    judged: list[tuple[float, bool]] = []
    api, admit = app.MockLooker._api, limits.TokenBucket.admit

    async def logged_api(self: Any, scope: Any, receive: Any, path: str, query: Any) -> Any:
        ident = next((int(v) for k, v in scope["headers"] if k == _ID_BYTES), -1)
        seen.append((ident, time.monotonic()))
        return await api(self, scope, receive, path, query)

    def logged_admit(self: Any) -> bool:
        ok = admit(self)
        judged.append((time.monotonic(), ok))
        return ok

    app.MockLooker._api = logged_api  # type: ignore[method-assign]
    limits.TokenBucket.admit = logged_admit  # type: ignore[method-assign]
    atexit.register(lambda: Path(out).write_bytes(orjson.dumps({"seen": seen, "judged": judged})))
    sys.argv = ["lookervault", *argv]
    cli_main()


def _gaps(times: list[float]) -> list[float]:
    ordered = sorted(times)
    return [b - a for a, b in itertools.pairwise(ordered)]


def _summary(values: list[float]) -> str:
    if len(values) < 2:
        return "n/a"
    q = statistics.quantiles(values, n=100, method="inclusive")
    parts = [f"p{p} {1000 * q[p - 1]:.2f}" for p in _PERCENTILES]
    parts += [f"p95 {1000 * q[94]:.2f}", f"p99 {1000 * q[98]:.2f}", f"max {1000 * max(values):.2f}"]
    return " ".join(parts) + " ms"


def _share_under(values: list[float], limit: float) -> float:
    return sum(v < limit for v in values) / max(1, len(values))


def measure(rate: float, seconds: float, fixed: float | None) -> dict[str, Any]:
    """One run: the client in this process, the wrapped mock in a subprocess; the stamps."""
    from benchmarks import rate_driver
    from benchmarks.datasets import dataset
    from benchmarks.mockserver import MockKnobs, MockServer
    from lookervault.looker import pools
    from lookervault.looker.throttle import AdaptiveLimiter

    out = Path(tempfile.mkdtemp()) / "mock.json"

    class LoggedMock(MockServer):
        def command(self) -> list[str]:
            args = super().command()[3:]  # after python -m lookervault
            return [sys.executable, "-m", "benchmarks.arrival_gaps", "--serve", str(out), *args]

    permit: contextvars.ContextVar[float] = contextvars.ContextVar("permit", default=-1.0)
    stamps: dict[int, dict[str, float]] = {}
    counter = itertools.count()
    acquire, request = AdaptiveLimiter.acquire, pools.PooledClients.request

    async def logged_acquire(self: AdaptiveLimiter, *, urgent: bool = False) -> float:
        sent = await acquire(self, urgent=urgent)
        permit.set(time.monotonic())
        return sent

    async def logged_request(self: Any, method: str, url: str, **kwargs: Any) -> Any:
        ident = next(counter)
        mine = stamps[ident] = {"permit": permit.get(), "call": time.monotonic()}

        inner = (kwargs.get("extensions") or {}).get("trace")

        async def trace(name: str, info: dict[str, Any]) -> None:
            if inner is not None:  # the client's own hook (on its branch: the write spacing)
                await inner(name, info)
            mine.setdefault(name, time.monotonic())

        kwargs["headers"] = {**(kwargs.get("headers") or {}), _ID_HEADER: str(ident)}
        kwargs["extensions"] = {**(kwargs.get("extensions") or {}), "trace": trace}
        return await request(self, method, url, **kwargs)

    AdaptiveLimiter.acquire = logged_acquire  # type: ignore[method-assign]
    pools.PooledClients.request = logged_request  # type: ignore[method-assign]
    knobs = MockKnobs(rate_limit_per_s=rate, rate_limit_burst=1)
    load = os.getloadavg()[0]
    with LoggedMock(dataset("M/400"), knobs) as server:
        os.environ.update(server.env())
        report = anyio.run(
            rate_driver.drive,
            seconds,
            32,
            fixed and fixed * rate,
            backend_options={"use_uvloop": True},
        )
        stats = server.stats()
    mock = orjson.loads(out.read_bytes())
    return _report(rate, stamps, mock, report, stats, load)


def _report(
    rate: float,
    stamps: dict[int, dict[str, float]],
    mock: dict[str, Any],
    report: dict[str, Any],
    stats: dict[str, Any],
    load: float,
) -> dict[str, Any]:
    seen = {ident: at for ident, at in mock["seen"] if ident >= 0}
    stages = {
        "permit": [s["permit"] for s in stamps.values() if s["permit"] > 0],
        "headers started": [
            s["http11.send_request_headers.started"]
            for s in stamps.values()
            if "http11.send_request_headers.started" in s
        ],
        "headers written": [
            s["http11.send_request_headers.complete"]
            for s in stamps.values()
            if "http11.send_request_headers.complete" in s
        ],
        "mock app": list(seen.values()),
        "mock bucket": [at for at, _ in mock["judged"]],
    }
    interval = 1.0 / rate
    lines = {}
    for name, times in stages.items():
        gaps = _gaps(times)
        lines[f"gap {name}"] = (_summary(gaps), round(_share_under(gaps, interval), 4))
    delays = {
        "permit -> headers started": ("permit", "http11.send_request_headers.started"),
        "permit -> headers written": ("permit", "http11.send_request_headers.complete"),
        "call -> headers started": ("call", "http11.send_request_headers.started"),
    }
    for name, (a, b) in delays.items():
        values = [s[b] - s[a] for s in stamps.values() if a in s and b in s and s[a] > 0]
        lines[f"delay {name}"] = (_summary(values), None)
    arrival = [
        seen[i] - s["http11.send_request_headers.complete"]
        for i, s in stamps.items()
        if i in seen and "http11.send_request_headers.complete" in s
    ]
    lines["delay headers written -> mock app"] = (_summary(arrival), None)
    started = "http11.send_request_headers.started"
    for name, key in (("permit", "permit"), ("headers started", started)):
        pairs = sorted(
            (s[key], seen[i]) for i, s in stamps.items() if i in seen and s.get(key, -1) > 0
        )
        shrink = [(b1 - a1) - (b0 - a0) for (a0, b0), (a1, b1) in itertools.pairwise(pairs)]
        lines[f"mock gap minus {name} gap"] = (_summary(shrink), None)
    return {
        "rate": rate,
        "load": round(load, 2),
        "ok_per_s": round(report["ok"] / report["seconds"], 1),
        "share_429": round(stats["rate_limited"] / max(1, stats["requests"]), 4),
        "lines": lines,
    }


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--serve":
        _serve(argv[1], argv[2:])
        return 0
    parser = argparse.ArgumentParser(prog="python -m benchmarks.arrival_gaps")
    parser.add_argument("--rate", type=float, required=True)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--fixed", type=float, default=None, help="pace at this share of rate")
    args = parser.parse_args(argv)
    result = measure(args.rate, args.seconds, args.fixed)
    head = {k: v for k, v in result.items() if k != "lines"}
    sys.stdout.write(orjson.dumps(head).decode() + "\n")
    for name, (text, under) in result["lines"].items():
        extra = f"  (<1/R: {100 * under:.2f} %)" if under is not None else ""
        sys.stdout.write(f"  {name:38s} {text}{extra}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
