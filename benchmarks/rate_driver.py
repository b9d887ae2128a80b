"""One rate-grid cell's client: `python -m benchmarks.rate_driver --seconds S`.

Runs LookerClient (its AdaptiveLimiter, its retries, its token renewals) at the CLI's default
concurrency against the mock named by LOOKERSDK_*, every task fetching GET /user as fast as the
client lets it, for S seconds. Prints one JSON line: the successes, the seconds they took, the
successes per second of run time (the rate over time the plots draw), the limiter's rate at the
end of each second, and when each 429 came (seconds into the run: the slow start's, or the
steady state's). `--fixed-rate F` paces at F requests/s and never adapts: the best fixed pace
this stack holds under a limit is the yardstick for the adaptive law. `--log-decisions` writes
the limiter's decisions (each decrease with its ceiling and basis, each isolated 429) to stderr.
`--resume-from '{"rate": R, "ceiling": C}'` starts the limiter from a memory, as the next backup
into the same vault starts from what the last one learned (printed as "learned").
"""

from __future__ import annotations

import argparse
import logging
import math
import os
import sys
import time
from typing import Any

import anyio
import orjson

from lookervault.config import DEFAULT_CONCURRENCY
from lookervault.errors import LookerVaultError
from lookervault.learned_rate import LearnedRate
from lookervault.looker.client import LookerClient
from lookervault.looker.throttle import AdaptiveLimiter
from lookervault.metrics import Metrics
from lookervault.settings import ConnectionSettings

__all__ = ["FixedLimiter", "drive"]


class FixedLimiter(AdaptiveLimiter):
    """Paces at a configured rate and learns nothing from answers (429s still pause nothing)."""

    def on_success(self, *, sent_at: float | None = None) -> None:
        """Ignored: the rate is fixed."""

    def on_rate_limited(self, retry_after: float | None, *, sent_at: float | None = None) -> None:
        """Ignored: the rate is fixed."""


async def drive(
    seconds: float,
    concurrency: int,
    fixed_rate: float | None = None,
    resume_from: LearnedRate | None = None,
) -> dict[str, Any]:
    """Fetch for *seconds*; successes per 1-second bin, 429 times, failures, the rate per second,
    and what the limiter learned (*resume_from*: the memory it starts from, as a next run's)."""
    settings = ConnectionSettings(
        base_url=os.environ["LOOKERSDK_BASE_URL"],
        client_id=os.environ["LOOKERSDK_CLIENT_ID"],
        client_secret=os.environ["LOOKERSDK_CLIENT_SECRET"],
    )
    limiter = FixedLimiter(per_second=fixed_rate) if fixed_rate else AdaptiveLimiter()
    if resume_from is not None:
        limiter.resume(resume_from)
    metrics = Metrics()
    bins = [0] * math.ceil(seconds)
    rates: list[float] = []
    limited_at: list[float] = []
    failed = 0
    start = time.monotonic()
    on_rate_limited = limiter.on_rate_limited

    def record_429(retry_after: float | None, *, sent_at: float | None = None) -> None:
        limited_at.append(round(time.monotonic() - start, 3))
        on_rate_limited(retry_after, sent_at=sent_at)

    limiter.on_rate_limited = record_429  # type: ignore[method-assign]

    async def sample_rate() -> None:
        while True:
            await anyio.sleep(start + len(rates) + 1 - time.monotonic())
            rates.append(round(limiter.current_rate, 2))

    async def fetch_until_done(client: LookerClient) -> None:
        nonlocal failed
        while time.monotonic() - start < seconds:
            try:
                await client.get_json("/user")
            except LookerVaultError:
                failed += 1
                continue
            done = time.monotonic() - start
            if done < seconds:
                bins[int(done)] += 1

    async with LookerClient(
        settings, concurrency=concurrency, limiter=limiter, metrics=metrics
    ) as c:
        # Requests still queued at the deadline are cancelled, not sent after it.
        with anyio.move_on_after(seconds - (time.monotonic() - start)):
            async with anyio.create_task_group() as tg:
                tg.start_soon(sample_rate)
                for _ in range(concurrency):
                    tg.start_soon(fetch_until_done, c)
    return {
        "seconds": seconds,
        "ok": sum(bins),
        "per_second": bins,
        "failed": failed,
        "requests": metrics.get("requests"),
        "final_rate": round(limiter.current_rate, 2),
        "rate_per_second": rates,
        "limited_at": limited_at,
        "learned": learned.as_dict() if (learned := limiter.learned()) else None,
    }


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.rate_driver")
    parser.add_argument("--seconds", type=float, required=True)
    parser.add_argument("--concurrency", type=int, default=DEFAULT_CONCURRENCY)
    parser.add_argument("--fixed-rate", type=float, default=None)
    parser.add_argument("--log-decisions", action="store_true")
    parser.add_argument(
        "--resume-from", default=None, help='a memory, as a run keeps it: {"rate": R, "ceiling": C}'
    )
    args = parser.parse_args()
    resume_from = None
    if args.resume_from:
        resume_from = LearnedRate.from_dict(orjson.loads(args.resume_from))
        if resume_from is None:
            parser.error(f"--resume-from: not a memory: {args.resume_from}")
    if args.log_decisions:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(relativeCreated)9.0f ms  %(message)s"))
        decisions = logging.getLogger("lookervault.looker.throttle")
        decisions.setLevel(logging.DEBUG)
        decisions.addHandler(handler)
    report = anyio.run(
        drive,
        args.seconds,
        args.concurrency,
        args.fixed_rate,
        resume_from,
        backend_options={"use_uvloop": True},
    )
    sys.stdout.write(orjson.dumps(report).decode() + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
