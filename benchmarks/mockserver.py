"""The mock Looker as a separate process on loopback, with its control endpoints."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import httpx

from benchmarks.datasets import Dataset
from lookervault.mock.app import MockOptions

__all__ = ["MockKnobs", "MockServer"]

logger = logging.getLogger(__name__)

_READY_PREFIX = "listening on "
_STOP_TIMEOUT_S = 30.0
_CONTROL_TIMEOUT_S = 300.0  # ground truth of 5M hashes a few GB of JSON
_DEFAULTS = MockOptions()


@dataclass(frozen=True)
class MockKnobs:
    """Fault and latency knobs of `mock serve` that a scenario sets."""

    latency_ms: float = 0.0
    latency_jitter_ms: float = 0.0
    rate_limit_per_s: float | None = None
    retry_after_s: float | None = None
    rate_limit_burst: float | None = None
    rate_limit_per_minute: int | None = None
    token_ttl_s: float | None = None
    fault_rate: float = 0.0
    drop_rate: float = 0.0

    def serve_args(self) -> list[str]:
        args = [
            "--latency-ms",
            str(self.latency_ms),
            "--latency-jitter-ms",
            str(self.latency_jitter_ms),
        ]
        if self.rate_limit_per_s is not None:
            args += ["--rate-limit-per-s", str(self.rate_limit_per_s)]
        if self.retry_after_s is not None:
            args += ["--retry-after-s", str(self.retry_after_s)]
        optional = (
            ("--rate-limit-burst", self.rate_limit_burst),
            ("--rate-limit-per-minute", self.rate_limit_per_minute),
            ("--token-ttl-s", self.token_ttl_s),
            ("--fault-rate", self.fault_rate or None),
            ("--drop-rate", self.drop_rate or None),
        )
        return args + [a for flag, v in optional if v is not None for a in (flag, str(v))]


class MockServer:
    """`python -m lookervault mock serve --port 0 ...` started, read for its URL, and stopped."""

    def __init__(self, data: Dataset, knobs: MockKnobs | None = None) -> None:
        self.dataset = data
        self.knobs = knobs or MockKnobs()
        self.url = ""
        self._proc: subprocess.Popen[bytes] | None = None
        self._log = tempfile.TemporaryFile()
        self._http = httpx.Client(timeout=_CONTROL_TIMEOUT_S)
        self._truth: dict[str, dict[str, str]] | None = None

    def command(self) -> list[str]:
        """The exact command line of the server."""
        base = [sys.executable, "-m", "lookervault", "mock", "serve", "--port", "0"]
        return base + self.dataset.serve_args() + self.knobs.serve_args()

    def __enter__(self) -> MockServer:
        logger.info("starting mock: dataset %s, %s", self.dataset.name, self.knobs)
        self._proc = subprocess.Popen(
            self.command(), stdout=subprocess.PIPE, stderr=self._log, stdin=subprocess.DEVNULL
        )
        assert self._proc.stdout is not None
        line = self._proc.stdout.readline().decode()
        if not line.startswith(_READY_PREFIX):
            self.stop()
            raise RuntimeError(f"mock did not start: {line!r} {self._stderr()}")
        self.url = line[len(_READY_PREFIX) :].strip()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def stop(self) -> None:
        """Terminate the server (SIGTERM, then SIGKILL) and release its pipes."""
        proc, self._proc = self._proc, None
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(_STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            if proc.stdout is not None:
                proc.stdout.close()
        self._http.close()
        self._log.close()

    def _stderr(self) -> str:
        self._log.seek(0)
        return self._log.read().decode(errors="replace")[-2000:]

    def env(self) -> dict[str, str]:
        """The environment of a client process: LOOKERSDK_* pointing at this server."""
        env = {
            k: v for k, v in os.environ.items() if not k.startswith(("LOOKERSDK_", "LOOKERVAULT_"))
        }
        env.update(
            LOOKERSDK_BASE_URL=self.url,
            LOOKERSDK_CLIENT_ID=_DEFAULTS.client_id,
            LOOKERSDK_CLIENT_SECRET=_DEFAULTS.client_secret,
        )
        return env

    def ground_truth_hashes(self) -> dict[str, dict[str, str]]:
        """{type: {id: canonical hash}}; fetched once (the scenarios never mutate the data)."""
        if self._truth is None:
            response = self._http.get(f"{self.url}/__mock__/ground_truth", params={"hashes": "1"})
            response.raise_for_status()
            self._truth = response.json()
        return self._truth

    def stats(self) -> dict[str, Any]:
        """The mock's request counters since start or the last reset."""
        response = self._http.get(f"{self.url}/__mock__/stats")
        response.raise_for_status()
        return response.json()

    def reset_stats(self) -> None:
        """Zero the mock's counters before a measured run."""
        self._http.post(f"{self.url}/__mock__/reset_stats").raise_for_status()
