"""The vault as a time machine: runs, snapshots and items as they were."""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from lookervault import jsonio
from lookervault.errors import UsageError
from lookervault.learned_rate import LearnedRate
from lookervault.metrics import PACE_KEY, requests_by_type, unavailable_by_type
from lookervault.vault.queries import ItemRow, ItemVersion, RunRecord
from lookervault.vault.store import Vault

__all__ = [
    "ItemRow",
    "ItemVersion",
    "RunSummary",
    "item_json",
    "list_items",
    "list_runs",
    "load_json",
    "pretty_json",
    "read_item",
    "resolve_run",
    "vault_size",
]

logger = logging.getLogger(__name__)


def load_json(content: bytes) -> Any:
    """Parse stored JSON exactly (integers beyond 64 bits stay integers)."""
    return jsonio.loads(content)


def pretty_json(obj: Any) -> bytes:
    """Indented UTF-8 JSON with a final newline, keys in their stored order."""
    return jsonio.dumps(obj, pretty=True) + b"\n"


def vault_size(path: Path) -> int:
    """Bytes on disk: the vault file and its write-ahead log."""
    wal = path.with_name(path.name + "-wal")
    return sum(p.stat().st_size for p in (path, wal) if p.exists())


# --- runs -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RunSummary:
    """One run as `lookervault runs` shows it."""

    run_id: int
    started_at: str
    finished_at: str | None
    duration_s: float | None
    status: str
    history: str  # "full", or "latest-only" for runs recorded before schema 2
    resumes: int
    counts: dict[str, int]
    stored_bytes: int  # content this run stored first (unchanged content costs nothing)
    looker_url: str
    failures: list[dict[str, str]]  # [{"content_type", "key", "error"}] still outstanding
    access: str | None = None  # "admin", "limited" (backup/preflight.py), None before schema 4
    requests: int = 0  # requests sent, every session of the run summed
    requests_by_type: dict[str, int] = field(default_factory=dict)
    # {type: {"outcome", "reason"}} as the run recorded them (runs of earlier releases: {})
    outcomes: dict[str, dict[str, Any]] = field(default_factory=dict)
    # {type: ids listed but answering 404}: explores Looker lists yet will not render
    unavailable: dict[str, int] = field(default_factory=dict)
    # {"rate", "ceiling"}: the pace its limiter learned, where the next run starts (backup/pace.py;
    # None: a configured rate, or a run of an earlier release)
    pace: dict[str, float | None] | None = None

    def as_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return asdict(self)


def _duration(run: RunRecord) -> float | None:
    """Time spent running: the recorded elapsed time, else end minus start.

    A resumed run's start and end span the idle time between its sessions, so the time the
    vault sums over sessions (``stats["running_s"]``), else the last session's
    (``stats["elapsed_s"]``, vaults of earlier releases), is preferred when present.
    """
    stats = run.stats if isinstance(run.stats, dict) else {}
    elapsed = stats.get("running_s", stats.get("elapsed_s"))
    if isinstance(elapsed, int | float) and not isinstance(elapsed, bool):
        return round(float(elapsed), 3)
    if not run.finished_at:
        return None
    delta = datetime.fromisoformat(run.finished_at) - datetime.fromisoformat(run.started_at)
    return round(delta.total_seconds(), 3)


def list_runs(vault: Vault) -> list[RunSummary]:
    """Every run, oldest first; counts of unfinished runs are read from their snapshot."""
    stored = vault.queries.stored_bytes()
    return [_summary(vault, run, stored.get(run.run_id, 0)) for run in vault.runs()]


def _summary(vault: Vault, run: RunRecord, stored_bytes: int) -> RunSummary:
    return RunSummary(
        run_id=run.run_id,
        started_at=run.started_at,
        finished_at=run.finished_at,
        duration_s=_duration(run),
        status=run.status,
        history=run.history,
        resumes=run.resumes,
        counts=run.counts or vault.queries.snapshot_counts(run.run_id),
        stored_bytes=stored_bytes,
        looker_url=run.looker_url,
        failures=[asdict(failure) for failure in vault.failures(run.run_id)],
        access=run.access,
        requests=int(run.stats.get("requests", 0)) if isinstance(run.stats, dict) else 0,
        requests_by_type=requests_by_type(run.stats) if isinstance(run.stats, dict) else {},
        outcomes=(run.stats or {}).get("outcomes") or {},
        unavailable=unavailable_by_type(run.stats) if isinstance(run.stats, dict) else {},
        pace=_pace(run),
    )


def _pace(run: RunRecord) -> dict[str, float | None] | None:
    """The run's learned pace as the next run would read it, or None: nothing usable."""
    stats = run.stats if isinstance(run.stats, dict) else {}
    learned = LearnedRate.from_dict(stats.get(PACE_KEY))
    return None if learned is None else learned.as_dict()


def item_json(row: ItemRow, content_type: str) -> dict[str, Any]:
    """One item of `list --json`, in the words of `show --json` and the export (``id``)."""
    return {
        "content_type": content_type,
        "id": row.item_id,
        "title": row.title,
        "folder_id": row.folder_id,
        "owner_id": row.owner_id,
        "updated_at": row.updated_at,
        "state": row.state,
    }


def resolve_run(vault: Vault, run_id: int | None) -> int:
    """``run_id`` if the vault has it, or the latest run when None.

    Raises:
        UsageError: no such run, or the vault has no run at all.
    """
    ids = vault.queries.run_ids()
    if not ids:
        raise UsageError(f"vault {vault.path} has no runs yet")
    if run_id is None:
        return ids[-1]
    if run_id not in ids:
        raise UsageError(f"no run {run_id} in vault {vault.path} (runs: {ids[0]}-{ids[-1]})")
    return run_id


# --- items ------------------------------------------------------------------------------------


def list_items(
    vault: Vault,
    content_type: str,
    *,
    run_id: int | None = None,
    folder_id: str | None = None,
    search: str | None = None,
    deleted: bool = False,
) -> list[ItemRow]:
    """Items of one type in the latest state (or in a run's snapshot), sorted by id.

    Live items by default; with ``deleted``, those in Looker's trash or gone from Looker.
    ``search`` matches titles case-insensitively (Unicode case folding).
    """
    rows = vault.queries.list_items(
        content_type, run_id=run_id, folder_id=folder_id, deleted=deleted
    )
    if search is not None:
        needle = search.casefold()
        rows = [row for row in rows if needle in (row.title or "").casefold()]
    return rows


def read_item(
    vault: Vault, content_type: str, item_id: str, *, run_id: int | None = None
) -> ItemVersion:
    """The item as it was in ``run_id``'s snapshot, or its latest state.

    Raises:
        UsageError: the vault never held the item, or the run did not see it.
    """
    found = vault.queries.find_item(content_type, item_id, run_id)
    if found is not None:
        return found
    if run_id is None:
        raise UsageError(f"no {content_type} {item_id} in vault {vault.path}")
    raise UsageError(f"{content_type} {item_id} is not in run {run_id}'s snapshot")
