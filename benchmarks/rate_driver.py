"""One rate-grid cell's client: `python -m benchmarks.rate_driver --seconds S`.

Runs LookerClient (its AdaptiveLimiter, its retries, its token renewals) at the CLI's default
concurrency against the mock named by LOOKERSDK_*, every task fetching GET /user as fast as the
client lets it, for S seconds. Prints one JSON line: the successes, the seconds they took, and
the successes per second of run time (the rate over time the plots draw).
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from typing import Any

import anyio
import orjson

from lookervault.config import DEFAULT_CONCURRENCY
from lookervault.errors import LookerVaultError
from lookervault.looker.client import LookerClient
from lookervault.looker.throttle import AdaptiveLimiter
from lookervault.metrics import Metrics
from lookervault.settings import ConnectionSettings

__all__ = ["drive"]


async def drive(seconds: float, concurrency: int) -> dict[str, Any]:
    """Fetch for *seconds*; successes per 1-second bin, failures, the limiter's last rate."""
    settings = ConnectionSettings(
        base_url=os.environ["LOOKERSDK_BASE_URL"],
        client_id=os.environ["LOOKERSDK_CLIENT_ID"],
        client_secret=os.environ["LOOKERSDK_CLIENT_SECRET"],
    )
    limiter, metrics = AdaptiveLimiter(), Metrics()
    bins = [0] * math.ceil(seconds)
    failed = 0
    start = time.monotonic()

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
                for _ in range(concurrency):
                    tg.start_soon(fetch_until_done, c)
    return {
        "seconds": seconds,
        "ok": sum(bins),
        "per_second": bins,
        "failed": failed,
        "requests": metrics.get("requests"),
        "final_rate": round(limiter.current_rate, 2),
    }


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.rate_driver")
    parser.add_argument("--seconds", type=float, required=True)
    parser.add_argument("--concurrency", type=int, default=DEFAULT_CONCURRENCY)
    args = parser.parse_args()
    report = anyio.run(drive, args.seconds, args.concurrency, backend_options={"use_uvloop": True})
    sys.stdout.write(orjson.dumps(report).decode() + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
