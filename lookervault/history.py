"""The vault as a time machine: runs, snapshots, items as they were, diffs and verification."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from lookervault import jsonio
from lookervault.content import id_sort_key
from lookervault.errors import ExitCode, UsageError
from lookervault.vault.store import Vault

__all__ = [
    "MAX_PROBLEMS_PER_CHECK",
    "VERIFY_BLOB_CHUNK",
    "VERIFY_FAILED",
    "FieldChange",
    "ItemDiff",
    "ItemRef",
    "ItemRow",
    "ItemVersion",
    "RunDiff",
    "RunSummary",
    "TypeDiff",
    "VerifyReport",
    "diff_item",
    "diff_runs",
    "field_changes",
    "list_items",
    "list_runs",
    "load_json",
    "pretty_json",
    "read_item",
    "resolve_run",
    "vault_size",
    "verify_vault",
]

logger = logging.getLogger(__name__)

# Blobs are hashed in chunks so the control connection is never held for the whole scan.
VERIFY_BLOB_CHUNK = 500
MAX_PROBLEMS_PER_CHECK = 20
# Exit status of `lookervault verify` when the vault has problems: distinct from 1 (a crash).
VERIFY_FAILED = ExitCode.VERIFY_FAILED
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


# --- diffs ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ItemRef:
    """An item named in a diff."""

    item_id: str
    title: str | None


@dataclass(slots=True)
class TypeDiff:
    """What changed in one content type between two runs."""

    added: list[ItemRef] = field(default_factory=list)
    removed: list[ItemRef] = field(default_factory=list)
    changed: list[ItemRef] = field(default_factory=list)
    # In one snapshot, not seen at all by the other (partial) run: neither added nor removed.
    unseen: list[ItemRef] = field(default_factory=list)

    def sort(self) -> None:
        """Order every list by id, numbers first."""
        for refs in (self.added, self.removed, self.changed, self.unseen):
            refs.sort(key=lambda ref: id_sort_key(ref.item_id))


@dataclass(frozen=True, slots=True)
class RunDiff:
    """Items added, removed and changed per type from run A to run B."""

    run_a: int
    run_b: int
    notes: list[str]
    types: dict[str, TypeDiff]

    def as_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "run_a": self.run_a,
            "run_b": self.run_b,
            "notes": self.notes,
            "types": {name: asdict(diff) for name, diff in self.types.items()},
        }


# Only rows that differ cross into Python: identical versions are filtered by SQLite. Two
# halves (rows of A, rows only in B), each probing the other run's primary key: SQLite plans a
# FULL OUTER JOIN of two CTEs as a nested scan, quadratic in the snapshot size.
_DIFF_ROWS = """
WITH d ("item_key", in_a, va, in_b, vb) AS (
    SELECT a."item_key", 1, a."version_id", b."item_key" IS NOT NULL, b."version_id"
    FROM "run_items" AS a
    LEFT JOIN "run_items" AS b ON b."run_id" = :b AND b."item_key" = a."item_key"
    WHERE a."run_id" = :a AND (b."item_key" IS NULL OR a."version_id" IS NOT b."version_id")
    UNION ALL
    SELECT b."item_key", 0, NULL, 1, b."version_id" FROM "run_items" AS b
    WHERE b."run_id" = :b AND NOT EXISTS (
        SELECT 1 FROM "run_items" AS a WHERE a."run_id" = :a AND a."item_key" = b."item_key")
)
SELECT i."content_type", i."item_id", coalesce(vb."title", va."title", i."title"),
       d.in_a, d.va IS NOT NULL, d.in_b, d.vb IS NOT NULL
FROM d JOIN "items" AS i ON i."item_key" = d."item_key"
LEFT JOIN "versions" AS va ON va."version_id" = d.va
LEFT JOIN "versions" AS vb ON vb."version_id" = d.vb
"""


@dataclass(frozen=True, slots=True)
class _Side:
    """How to read an item's absence from a run's snapshot."""

    run_id: int
    complete: bool  # a complete, fully recorded run: absence means gone
    scope: frozenset[str]  # types it extracted (empty: unknown, all)

    def covers(self, content_type: str) -> bool:
        return not self.scope or content_type in self.scope


def _side(vault: Vault, run_id: int, notes: list[str]) -> _Side:
    run = _run_row(vault, run_id)
    complete = run["status"] == _COMPLETE and run["history"] == _FULL_HISTORY
    if run["history"] != _FULL_HISTORY:
        notes.append(
            f"run {run_id} was recorded before history was kept: its snapshot holds only the "
            "items it was the last to fetch; others are listed as unseen"
        )
    elif not complete:
        notes.append(
            f"run {run_id} is {run['status']}: items it did not fetch are listed as unseen, "
            "not removed"
        )
    return _Side(run_id, complete, frozenset(run["counts"]))


def _classify(row: tuple[Any, ...], a: _Side, b: _Side) -> str | None:
    """added, removed, changed, unseen, or None (nothing to report)."""
    content_type, _, _, in_a, has_a, in_b, has_b = row
    if not (a.covers(content_type) and b.covers(content_type)):
        return None
    if has_a and has_b:
        return "changed"
    if has_b:  # not in A's snapshot
        return "added" if in_a or a.complete else "unseen"
    if has_a:  # not in B's snapshot
        return "removed" if in_b or b.complete else "unseen"
    return None


def diff_runs(vault: Vault, run_a: int, run_b: int) -> RunDiff:
    """Items added, removed and changed per type between two runs' snapshots.

    An item a run saw gone is removed. An item a partial (or pre-history) run did not see at
    all is "unseen", never removed; the notes say which runs were partial.
    """
    notes: list[str] = []
    a, b = _side(vault, run_a, notes), _side(vault, run_b, notes)
    with vault.reading("diff runs") as conn:
        rows = conn.execute(_DIFF_ROWS, {"a": run_a, "b": run_b}).fetchall()
    types: dict[str, TypeDiff] = {}
    for row in rows:
        kind = _classify(row, a, b)
        if kind is not None:
            bucket = getattr(types.setdefault(row[0], TypeDiff()), kind)
            bucket.append(ItemRef(row[1], row[2]))
    for diff in types.values():
        diff.sort()
    skipped = sorted((a.scope ^ b.scope) if a.scope and b.scope else set())
    if skipped:
        notes.append(f"not extracted by both runs, not compared: {', '.join(skipped)}")
    return RunDiff(run_a, run_b, notes, dict(sorted(types.items())))


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One field that differs, named by its JSON Pointer (RFC 6901)."""

    path: str
    change: str  # "added", "removed" or "changed"
    old: Any = None
    new: Any = None


def _pointer(path: str, key: object) -> str:
    return f"{path}/{str(key).replace('~', '~0').replace('/', '~1')}"


def _same(old: Any, new: Any) -> bool:
    """JSON equality: 1, 1.0 and true are different values."""
    return type(old) is type(new) and old == new


def _iter_changes(old: Any, new: Any, path: str) -> Iterator[FieldChange]:
    if isinstance(old, dict) and isinstance(new, dict):
        for key in old:
            if key not in new:
                yield FieldChange(_pointer(path, key), "removed", old=old[key])
            else:
                yield from _iter_changes(old[key], new[key], _pointer(path, key))
        for key in new:
            if key not in old:
                yield FieldChange(_pointer(path, key), "added", new=new[key])
    elif isinstance(old, list) and isinstance(new, list):
        for index in range(max(len(old), len(new))):
            if index >= len(new):
                yield FieldChange(_pointer(path, index), "removed", old=old[index])
            elif index >= len(old):
                yield FieldChange(_pointer(path, index), "added", new=new[index])
            else:
                yield from _iter_changes(old[index], new[index], _pointer(path, index))
    elif not _same(old, new):
        yield FieldChange(path, "changed", old=old, new=new)


def field_changes(old: Any, new: Any) -> list[FieldChange]:
    """Field-level differences between two JSON values, in document order."""
    return list(_iter_changes(old, new, ""))


@dataclass(frozen=True, slots=True)
class ItemDiff:
    """One item compared between two runs (None: not in that run's snapshot)."""

    content_type: str
    item_id: str
    run_a: int
    run_b: int
    old: Any
    new: Any
    changes: list[FieldChange]

    def as_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "content_type": self.content_type,
            "item_id": self.item_id,
            "run_a": self.run_a,
            "run_b": self.run_b,
            "in_a": self.old is not None,
            "in_b": self.new is not None,
            "changes": [asdict(change) for change in self.changes],
        }


def diff_item(vault: Vault, content_type: str, item_id: str, run_a: int, run_b: int) -> ItemDiff:
    """The field-level diff of one item between two runs' snapshots.

    Raises:
        UsageError: neither run's snapshot holds the item.
    """
    found = [_find_item(vault, content_type, item_id, run) for run in (run_a, run_b)]
    if found[0] is None and found[1] is None:
        raise UsageError(f"{content_type} {item_id} is in neither run {run_a} nor run {run_b}")
    old, new = (load_json(v.content) if v is not None else None for v in found)
    if old is None or new is None:
        changes = [FieldChange("", "added" if old is None else "removed", old=old, new=new)]
    else:
        changes = field_changes(old, new)
    return ItemDiff(content_type, item_id, run_a, run_b, old, new, changes)


# --- verify -----------------------------------------------------------------------------------


@dataclass(slots=True)
class VerifyReport:
    """The outcome of `verify_vault`: problems per check (empty lists: all good)."""

    checks: dict[str, list[str]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    blobs_checked: int = 0

    @property
    def ok(self) -> bool:
        """True when no check found a problem."""
        return not any(self.checks.values())

    def as_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "ok": self.ok,
            "checks": self.checks,
            "notes": self.notes,
            "blobs_checked": self.blobs_checked,
        }


# (label, SQL listing the offenders) for every reference that must resolve.
_DANGLING: tuple[tuple[str, str], ...] = (
    (
        "items whose content is missing",
        'SELECT i."content_type" || \' \' || i."item_id" FROM "items" AS i '
        'WHERE NOT EXISTS (SELECT 1 FROM "blobs" AS b WHERE b."hash" = i."content_hash")',
    ),
    (
        "versions of missing items or content",
        'SELECT \'version \' || v."version_id" FROM "versions" AS v '
        'WHERE NOT EXISTS (SELECT 1 FROM "items" AS i WHERE i."item_key" = v."item_key") '
        'OR NOT EXISTS (SELECT 1 FROM "blobs" AS b WHERE b."blob_id" = v."blob_id")',
    ),
    (
        "run rows pointing nowhere",
        'SELECT \'run \' || r."run_id" || \' item \' || r."item_key" FROM "run_items" AS r '
        'WHERE NOT EXISTS (SELECT 1 FROM "runs" AS u WHERE u."run_id" = r."run_id") '
        'OR NOT EXISTS (SELECT 1 FROM "items" AS i WHERE i."item_key" = r."item_key") '
        'OR (r."version_id" IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "versions" AS v '
        'WHERE v."version_id" = r."version_id" AND v."item_key" = r."item_key"))',
    ),
    (
        "latest state differs from its run",
        'SELECT i."content_type" || \' \' || i."item_id" FROM "items" AS i '
        'JOIN "runs" AS u ON u."run_id" = i."run_id" AND u."history" = \'full\' '
        'WHERE i."gone_run_id" IS NULL AND NOT EXISTS (SELECT 1 FROM "run_items" AS r '
        'JOIN "versions" AS v ON v."version_id" = r."version_id" '
        'JOIN "blobs" AS b ON b."blob_id" = v."blob_id" '
        'WHERE r."run_id" = i."run_id" AND r."item_key" = i."item_key" '
        'AND b."hash" = i."content_hash")',
    ),
)


def _capped(problems: list[str]) -> list[str]:
    if len(problems) <= MAX_PROBLEMS_PER_CHECK:
        return problems
    extra = len(problems) - MAX_PROBLEMS_PER_CHECK
    return [*problems[:MAX_PROBLEMS_PER_CHECK], f"... and {extra} more"]


def _check_integrity(vault: Vault) -> list[str]:
    with vault.reading("check integrity") as conn:
        rows = [str(row[0]) for row in conn.execute("PRAGMA integrity_check")]
        rows += [
            f"{table} row {rowid}: no {parent} row"
            for table, rowid, parent, _ in conn.execute("PRAGMA foreign_key_check")
        ]
    return [] if rows == ["ok"] else [row for row in rows if row != "ok"]


def _check_blobs(vault: Vault, report: VerifyReport) -> list[str]:
    sql = (
        'SELECT "blob_id", "hash", "size", "content" FROM "blobs" '
        'WHERE "blob_id" > ? ORDER BY "blob_id" LIMIT ?'
    )
    problems, last = [], -1
    while True:
        with vault.reading("check content hashes") as conn:
            rows = conn.execute(sql, (last, VERIFY_BLOB_CHUNK)).fetchall()
        for blob_id, digest, size, content in rows:
            data = bytes(content)
            if hashlib.sha256(data).hexdigest() != digest or len(data) != size:
                problems.append(f"blob {blob_id}: content does not match its hash {digest}")
        report.blobs_checked += len(rows)
        if len(rows) < VERIFY_BLOB_CHUNK:
            return problems
        last = rows[-1][0]


def _check_counts(vault: Vault, report: VerifyReport) -> list[str]:
    problems = []
    for run in vault.runs():
        if run["history"] != _FULL_HISTORY:
            report.notes.append(f"run {run['run_id']}: recorded before history, counts not checked")
            continue
        if run["status"] == "running" or not run["counts"]:
            continue
        rows = _snapshot_counts(vault, run["run_id"])
        for name in sorted(set(run["counts"]) | set(rows)):
            recorded, actual = run["counts"].get(name, 0), rows.get(name, 0)
            if recorded != actual:
                problems.append(
                    f"run {run['run_id']} {name}: recorded {recorded} items, snapshot has {actual}"
                )
    return problems


def _check_references(vault: Vault) -> list[str]:
    problems = []
    with vault.reading("check references") as conn:
        for label, sql in _DANGLING:
            problems += [f"{label}: {row[0]}" for row in conn.execute(sql)]
    return problems


def _orphan_blobs(vault: Vault) -> int:
    sql = (
        'SELECT COUNT(*) FROM "blobs" AS b WHERE NOT EXISTS '
        '(SELECT 1 FROM "versions" AS v WHERE v."blob_id" = b."blob_id")'
    )
    with vault.reading("count unused content") as conn:
        return int(conn.execute(sql).fetchone()[0])


def verify_vault(vault: Vault) -> VerifyReport:
    """Check SQLite's integrity, every blob against its hash, run counts and references."""
    report = VerifyReport()
    report.checks["integrity"] = _capped(_check_integrity(vault))
    report.checks["content hashes"] = _capped(_check_blobs(vault, report))
    report.checks["run counts"] = _capped(_check_counts(vault, report))
    report.checks["references"] = _capped(_check_references(vault))
    orphans = _orphan_blobs(vault)
    if orphans:
        report.notes.append(f"{orphans} stored contents are no longer used by any item")
    logger.info("verified %s: %s", vault.path, "ok" if report.ok else "problems found")
    return report
