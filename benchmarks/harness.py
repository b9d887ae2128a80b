"""What every scenario shares: a pool of mock servers, measured extract runs, and their memo."""

from __future__ import annotations

import logging
import shutil
import sqlite3
import statistics
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from benchmarks.completeness import check_vault
from benchmarks.datasets import dataset
from benchmarks.mockserver import MockKnobs, MockServer
from benchmarks.process import Measured, run_measured

__all__ = [
    "Context",
    "Flags",
    "committed_items",
    "extract_command",
    "median",
    "medians",
    "ratio",
    "record_of",
    "remove_tree",
]

logger = logging.getLogger(__name__)

_LARGE_SCALE = 1.0  # servers of datasets this big (1.2 GB+ RSS each) are closed after a scenario


@dataclass(frozen=True)
class Flags:
    """`lookervault extract` tuning flags of one run (defaults: the CLI's own)."""

    workers: int | None = None
    concurrency: int | None = None
    rate_limit_per_second: float | None = None
    resume: bool = False
    types: tuple[str, ...] = ()
    relearn_rate: bool = False

    def args(self) -> list[str]:
        out: list[str] = list(self.types)
        if self.workers is not None:
            out += ["--workers", str(self.workers)]
        if self.concurrency is not None:
            out += ["--concurrency", str(self.concurrency)]
        if self.rate_limit_per_second is not None:
            out += ["--rate-limit-per-second", str(self.rate_limit_per_second)]
        if self.resume:
            out.append("--resume")
        if self.relearn_rate:
            out.append("--relearn-rate")
        return out


def extract_command(db: Path, flags: Flags) -> list[str]:
    """The measured command: the real CLI in its own process."""
    base = [sys.executable, "-m", "lookervault", "extract", "--json", "--quiet", "--db", str(db)]
    return base + flags.args()


def median(values: Iterable[float]) -> float:
    """Median, 0.0 for no values."""
    data = list(values)
    return float(statistics.median(data)) if data else 0.0


def record_of(measured: Measured) -> dict[str, Any]:
    """The process figures plus the extract's own `--json` report."""
    report: dict[str, Any] = {}
    lines = measured.stdout.strip().splitlines()
    if lines:
        try:
            report = orjson.loads(lines[-1])
        except orjson.JSONDecodeError:
            report = {}
    return {
        "returncode": measured.returncode,
        "wall_s": round(measured.wall_s, 3),
        "cpu_s": round(measured.cpu_s, 3),
        "peak_rss_mb": round(measured.peak_rss_mb, 1),
        "killed": measured.killed,
        "report": report,
        "stderr_tail": measured.stderr[-600:] if measured.returncode else "",
    }


@dataclass
class Context:
    """One benchmark invocation: scratch space, run count, servers, memoized runs, failures."""

    workdir: Path
    runs: int
    smoke: bool
    servers: dict[tuple[str, MockKnobs], MockServer] = field(default_factory=dict)
    memo: dict[tuple[Any, ...], list[dict[str, Any]]] = field(default_factory=dict)
    incomplete: list[str] = field(default_factory=list)
    _counter: int = 0

    def mock(self, name: str, knobs: MockKnobs | None = None) -> MockServer:
        """A running mock for this dataset and knobs, started once per invocation."""
        key = (name, knobs or MockKnobs())
        if key not in self.servers:
            self.servers[key] = MockServer(dataset(name), key[1]).__enter__()
        return self.servers[key]

    def release_large(self) -> None:
        """Stop servers of big datasets (their RSS is the server's, but RAM is shared)."""
        for key, server in list(self.servers.items()):
            if server.dataset.scale >= _LARGE_SCALE:
                server.stop()
                del self.servers[key]

    def close(self) -> None:
        for server in self.servers.values():
            server.stop()
        self.servers.clear()

    def scratch(self, stem: str) -> Path:
        """A fresh directory for one run's files."""
        self._counter += 1
        path = self.workdir / f"{self._counter:04d}-{stem}"
        path.mkdir()
        return path

    def run_extract(
        self,
        name: str,
        knobs: MockKnobs,
        flags: Flags,
        *,
        label: str,
        check: bool = True,
        kill_when: Callable[[Path], bool] | None = None,
        db: Path | None = None,
    ) -> dict[str, Any]:
        """One measured extract; checks the vault against the ground truth unless told not to."""
        server = self.mock(name, knobs)
        server.reset_stats()
        own = db is None
        folder = self.scratch("extract") if db is None else db.parent
        db = db or folder / "vault.db"
        kill = (lambda: kill_when(db)) if kill_when else None
        measured = run_measured(extract_command(db, flags), server.env(), folder, kill_when=kill)
        record = record_of(measured)
        record["mock"] = {k: v for k, v in server.stats().items() if k != "mutation_log"}
        if check:
            record["completeness"] = self.check(db, server, label, flags.types)
        if own:
            remove_tree(folder)
        return record

    def check(
        self, db: Path, server: MockServer, label: str, types: Sequence[str] = ()
    ) -> dict[str, Any]:
        """Compare a vault with its server's truth; an incomplete vault fails the invocation."""
        truth = server.ground_truth_hashes()
        if types:
            truth = {name: truth[name] for name in types}
        result = check_vault(db, truth)
        if not result.ok:
            self.incomplete.append(f"{label}: {result.detail or 'incomplete'}")
            logger.error("INCOMPLETE %s: %s", label, result.detail)
        return result.as_dict()

    def remember(self, name: str, knobs: MockKnobs, flags: Flags, record: dict[str, Any]) -> None:
        """Keep a run measured elsewhere (S1's first nights) for `extract_runs` to share (S5)."""
        self.memo.setdefault((name, knobs, flags), []).append(record)

    def extract_runs(
        self, name: str, knobs: MockKnobs, flags: Flags, *, label: str, runs: int | None = None
    ) -> list[dict[str, Any]]:
        """`runs` measured extracts (memoized: scenarios share identical runs), vaults deleted."""
        key = (name, knobs, flags)
        have = self.memo.setdefault(key, [])
        while len(have) < (runs or self.runs):
            record = self.run_extract(name, knobs, flags, label=label)
            logger.info(
                "%s: %s items/s, %.1f MB peak, complete=%s",
                label,
                record["report"].get("items_per_s"),
                record["peak_rss_mb"],
                record["completeness"]["ok"],
            )
            have.append(record)
        return have[: runs or self.runs]


def committed_items(db: Path) -> int:
    """Items committed so far (0 while the vault is not readable yet); used to time a kill."""
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=0.1) as conn:
            return int(conn.execute('SELECT COUNT(*) FROM "items"').fetchone()[0])
    except sqlite3.Error:
        return 0


def remove_tree(path: Path) -> None:
    """Delete one run's scratch directory (vaults of M are hundreds of MB)."""
    shutil.rmtree(path, ignore_errors=True)


def ratio(numerator: float, denominator: float) -> float | None:
    """numerator / denominator rounded, None when the denominator is 0."""
    return round(numerator / denominator, 3) if denominator else None


def medians(records: Sequence[dict[str, Any]], *paths: str) -> dict[str, float]:
    """Median of each dotted path ("report.items_per_s", "cpu_s") over the records."""
    out: dict[str, float] = {}
    for path in paths:
        values = []
        for record in records:
            value: Any = record
            for part in path.split("."):
                value = value.get(part, 0) if isinstance(value, dict) else 0
            values.append(float(value or 0))
        out[path] = round(median(values), 3)
    return out
