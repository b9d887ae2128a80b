"""The vault as a time machine: runs, snapshots and items as they were."""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from lookervault import jsonio
from lookervault.errors import UsageError
from lookervault.vault.store import Vault

__all__ = [
    "ItemRow",
    "ItemVersion",
    "RunSummary",
    "list_items",
    "list_runs",
    "load_json",
    "pretty_json",
    "read_item",
    "resolve_run",
    "vault_size",
]

logger = logging.getLogger(__name__)
_COMPLETE = "complete"
_FULL_HISTORY = "full"


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

    def as_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return asdict(self)


def _duration(started: str, finished: str | None) -> float | None:
    if not finished:
        return None
    delta = datetime.fromisoformat(finished) - datetime.fromisoformat(started)
    return round(delta.total_seconds(), 3)


def _snapshot_counts(vault: Vault, run_id: int) -> dict[str, int]:
    """Items per type in a run's snapshot (what it saw, not what it saw gone)."""
    sql = (
        'SELECT i."content_type", COUNT(*) FROM "run_items" AS r '
        'JOIN "items" AS i ON i."item_key" = r."item_key" '
        'WHERE r."run_id" = ? AND r."version_id" IS NOT NULL GROUP BY 1 ORDER BY 1'
    )
    with vault.reading("count a run's items") as conn:
        return dict(conn.execute(sql, (run_id,)).fetchall())


def list_runs(vault: Vault) -> list[RunSummary]:
    """Every run, oldest first; counts of unfinished runs are read from their snapshot."""
    with vault.reading("read runs") as conn:
        stored = dict(conn.execute('SELECT "run_id", SUM("size") FROM "blobs" GROUP BY 1'))
    summaries = []
    for run in vault.runs():
        counts = run["counts"] or _snapshot_counts(vault, run["run_id"])
        summaries.append(
            RunSummary(
                run_id=run["run_id"],
                started_at=run["started_at"],
                finished_at=run["finished_at"],
                duration_s=_duration(run["started_at"], run["finished_at"]),
                status=run["status"],
                history=run["history"],
                resumes=run["resumes"],
                counts=counts,
                stored_bytes=int(stored.get(run["run_id"]) or 0),
            )
        )
    return summaries


def _run_row(vault: Vault, run_id: int) -> dict[str, Any]:
    for run in vault.runs():
        if run["run_id"] == run_id:
            return run
    raise UsageError(f"no run {run_id} in vault {vault.path}")


def resolve_run(vault: Vault, run_id: int | None) -> int:
    """``run_id`` if the vault has it, or the latest run when None.

    Raises:
        UsageError: no such run, or the vault has no run at all.
    """
    sql = 'SELECT "run_id" FROM "runs" ORDER BY "run_id"'
    with vault.reading("read runs") as conn:
        ids = [row[0] for row in conn.execute(sql)]
    if not ids:
        raise UsageError(f"vault {vault.path} has no runs yet")
    if run_id is None:
        return ids[-1]
    if run_id not in ids:
        raise UsageError(f"no run {run_id} in vault {vault.path} (runs: {ids[0]}-{ids[-1]})")
    return run_id


# --- items ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ItemRow:
    """One line of `lookervault list`."""

    item_id: str
    title: str | None
    folder_id: str | None
    owner_id: str | None
    updated_at: str | None
    state: str  # "live", "trash" (Looker's soft delete) or "gone" (deleted from Looker)

    def as_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return asdict(self)


_META = ("title", "folder_id", "owner_id", "updated_at")
_LATEST_ROWS = (
    'SELECT "item_id", "title", "folder_id", "owner_id", "updated_at", '
    "CASE WHEN \"gone_run_id\" IS NOT NULL THEN 'gone' WHEN \"deleted\" THEN 'trash' "
    'ELSE \'live\' END AS "state" FROM "items" WHERE "content_type" = :type'
)
# A row the run saw gone has no version: show the item's latest known metadata.
_RUN_ROWS = (
    'SELECT i."item_id", '
    + ", ".join(f'iif(r."version_id" IS NULL, i."{c}", v."{c}") AS "{c}"' for c in _META)
    + ", CASE WHEN r.\"version_id\" IS NULL THEN 'gone' WHEN v.\"deleted\" THEN 'trash' "
    'ELSE \'live\' END AS "state" FROM "run_items" AS r '
    'JOIN "items" AS i ON i."item_key" = r."item_key" '
    'LEFT JOIN "versions" AS v ON v."version_id" = r."version_id" '
    'WHERE r."run_id" = :run AND i."content_type" = :type'
)
# Looker's ids are numbers in strings: numeric ids first, in numeric order, then the rest.
_LIST_ORDER = (
    " ORDER BY (\"item_id\" = '' OR \"item_id\" GLOB '*[^0-9]*'), "
    'CAST("item_id" AS INTEGER), "item_id"'
)


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
    base = _LATEST_ROWS if run_id is None else _RUN_ROWS
    sql = f"SELECT * FROM ({base}) WHERE (\"state\" <> 'live') = :deleted"
    params: dict[str, Any] = {"type": content_type, "run": run_id, "deleted": deleted}
    if folder_id is not None:
        sql += ' AND "folder_id" = :folder'
        params["folder"] = folder_id
    with vault.reading("list items") as conn:
        rows = [ItemRow(*row) for row in conn.execute(sql + _LIST_ORDER, params)]
    if search is not None:
        needle = search.casefold()
        rows = [row for row in rows if needle in (row.title or "").casefold()]
    return rows


@dataclass(frozen=True, slots=True)
class ItemVersion:
    """One item's content as stored for the latest state or for one run."""

    content_type: str
    item_id: str
    content: bytes
    run_id: int  # the run that fetched this content
    gone_run_id: int | None = None  # latest state only: the run that saw it gone


_LATEST_ITEM = (
    'SELECT b."content", i."run_id", i."gone_run_id" FROM "items" AS i '
    'JOIN "blobs" AS b ON b."hash" = i."content_hash" '
    'WHERE i."content_type" = ? AND i."item_id" = ?'
)
_RUN_ITEM = (
    'SELECT b."content", r."version_id" IS NULL FROM "items" AS i '
    'JOIN "run_items" AS r ON r."run_id" = ? AND r."item_key" = i."item_key" '
    'LEFT JOIN "versions" AS v ON v."version_id" = r."version_id" '
    'LEFT JOIN "blobs" AS b ON b."blob_id" = v."blob_id" '
    'WHERE i."content_type" = ? AND i."item_id" = ?'
)


def _find_item(
    vault: Vault, content_type: str, item_id: str, run_id: int | None
) -> ItemVersion | None:
    """The item's version, None when the run saw it gone or did not see it."""
    with vault.reading("read an item") as conn:
        if run_id is None:
            row = conn.execute(_LATEST_ITEM, (content_type, item_id)).fetchone()
        else:
            row = conn.execute(_RUN_ITEM, (run_id, content_type, item_id)).fetchone()
    if row is None or (run_id is not None and row[1]):
        return None
    if run_id is None:
        return ItemVersion(content_type, item_id, row[0], row[1], row[2])
    return ItemVersion(content_type, item_id, row[0], run_id)


def read_item(
    vault: Vault, content_type: str, item_id: str, *, run_id: int | None = None
) -> ItemVersion:
    """The item as it was in ``run_id``'s snapshot, or its latest state.

    Raises:
        UsageError: the vault never held the item, or the run did not see it.
    """
    found = _find_item(vault, content_type, item_id, run_id)
    if found is not None:
        return found
    if run_id is None:
        raise UsageError(f"no {content_type} {item_id} in vault {vault.path}")
    raise UsageError(f"{content_type} {item_id} is not in run {run_id}'s snapshot")
