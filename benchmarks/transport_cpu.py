"""CPU per request of httpx's request path, anyio's streams against lookervault.looker.transport.

`uv run python -m benchmarks.transport_cpu [--requests 3000] [--rounds 5] [--dataset M/10]`
starts one mock, then, round after round, fetches the same looks by id (S1's commonest request:
`GET /looks/{id}`, 16 in flight, on uvloop) once with httpx's default transport and once with
ours, each in a process of its own, and prints the client's CPU milliseconds per request
(process time, so the mock's own CPU is not counted), requests per second, and their medians.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from typing import Any

import anyio
import httpx

from benchmarks.datasets import dataset
from benchmarks.drain import login_form, token_of
from benchmarks.mockserver import MockServer
from lookervault.config import API_PATH
from lookervault.looker.pools import PooledClients
from lookervault.looker.transport import asyncio_transport

__all__ = ["fetch", "main"]

TRANSPORTS = ("anyio", "asyncio")
_CONCURRENCY = 16


async def fetch(base_url: str, secret: tuple[str, str], transport: str, count: int) -> dict:
    """GET /looks/1..count with `_CONCURRENCY` in flight; the client's CPU per request."""
    tls = httpx.create_ssl_context()

    def make(connections: int) -> httpx.AsyncClient:
        limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
        chosen = asyncio_transport(tls=tls, limits=limits) if transport == "asyncio" else None
        return httpx.AsyncClient(base_url=base_url, limits=limits, transport=chosen)

    http = PooledClients(make, _CONCURRENCY)
    try:
        auth = {
            "Authorization": f"Bearer {token_of(await http.request('POST', f'{API_PATH}/login', data=login_form(*secret)))}"
        }
        ids = iter(range(1, count + 1))
        statuses: dict[int, int] = {}

        async def worker() -> None:
            for look in ids:
                answer = await http.request("GET", f"{API_PATH}/looks/{look}", headers=auth)
                statuses[answer.status_code] = statuses.get(answer.status_code, 0) + 1

        cpu, wall = time.process_time(), time.perf_counter()
        async with anyio.create_task_group() as tg:
            for _ in range(_CONCURRENCY):
                tg.start_soon(worker)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    finally:
        await http.aclose()
    return {
        "cpu_ms_per_request": cpu / count * 1000,
        "requests_per_s": count / wall,
        "statuses": statuses,
    }


def _child(argv: list[str]) -> int:
    base_url, client_id, secret, transport, count = argv
    result = anyio.run(
        fetch,
        base_url,
        (client_id, secret),
        transport,
        int(count),
        backend="asyncio",
        backend_options={"use_uvloop": True},
    )
    sys.stdout.write(json.dumps(result) + "\n")
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        return _child(argv[1:])
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--dataset", default="M/10", help="a name of benchmarks/datasets.py")
    args = parser.parse_args(argv)
    data = dataset(args.dataset)
    count = min(args.requests, data.counts()["looks"])
    rounds: list[dict[str, Any]] = []
    with MockServer(data) as server:
        env = server.env()
        credentials = [env["LOOKERSDK_CLIENT_ID"], env["LOOKERSDK_CLIENT_SECRET"]]
        for number in range(1, args.rounds + 1):
            figures = {}
            for transport in TRANSPORTS:
                command = [sys.executable, "-m", "benchmarks.transport_cpu", "--child"]
                command += [server.url, *credentials, transport, str(count)]
                done = subprocess.run(command, capture_output=True, text=True, check=True)
                figures[transport] = json.loads(done.stdout)
                assert figures[transport]["statuses"] == {"200": count}, figures[transport]
            rounds.append(figures)
            print(
                f"round {number}: "
                + ", ".join(
                    f"{t} {figures[t]['cpu_ms_per_request']:.3f} ms/request "
                    f"{figures[t]['requests_per_s']:.0f}/s"
                    for t in TRANSPORTS
                ),
                flush=True,
            )
    cpu = {t: statistics.median(r[t]["cpu_ms_per_request"] for r in rounds) for t in TRANSPORTS}
    rate = {t: statistics.median(r[t]["requests_per_s"] for r in rounds) for t in TRANSPORTS}
    ratio = statistics.median(
        r["asyncio"]["cpu_ms_per_request"] / r["anyio"]["cpu_ms_per_request"] for r in rounds
    )
    print(
        f"medians of {args.rounds} rounds, {count} requests each: CPU ms/request "
        + ", ".join(f"{t} {cpu[t]:.3f}" for t in TRANSPORTS)
        + f"; asyncio / anyio round by round {ratio:.2f}; requests/s "
        + ", ".join(f"{t} {rate[t]:.0f}" for t in TRANSPORTS)
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
