"""Typed reads for the read side (runs, list, show, diff, verify), so their SQL stays in vault/."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields
from typing import Any

from lookervault import jsonio

__all__ = [
    "FULL_HISTORY",
    "LATEST_ONLY_HISTORY",
    "RUN_COMPLETE",
    "DiffRow",
    "ForeignKeyViolation",
    "ItemRow",
    "ItemVersion",
    "RunRecord",
    "StoredBlob",
    "VaultQueries",
]

# A run's "history": "full" since schema 2; runs recorded before kept only the latest content.
FULL_HISTORY = "full"
LATEST_ONLY_HISTORY = "latest-only"
RUN_COMPLETE = "complete"

# Lends the vault's control connection, locked, for one action (sqlite3 errors -> VaultError).
Using = Callable[[str], contextlib.AbstractContextManager[sqlite3.Connection]]


@dataclass(frozen=True, slots=True)
class RunRecord:
    """One row of the runs table, its JSON columns decoded."""

    run_id: int
    started_at: str
    finished_at: str | None
    status: str
    options: dict[str, Any]
    counts: dict[str, int]
    stats: dict[str, Any]
    looker_url: str
    looker_release: str | None
    api_version: str | None
    tool_version: str
    resumes: int
    history: str  # FULL_HISTORY, or LATEST_ONLY_HISTORY for runs recorded before schema 2
    access: str | None = None  # 'admin' or 'limited' (backup/preflight.py); None before schema 4


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


@dataclass(frozen=True, slots=True)
class ItemVersion:
    """One item's content as stored for the latest state or for one run."""

    content_type: str
    item_id: str
    content: bytes
    run_id: int  # the run that fetched this content
    gone_run_id: int | None = None  # latest state only: the run that saw it gone


@dataclass(frozen=True, slots=True)
class DiffRow:
    """An item whose version differs between runs A and B (or is in one snapshot only)."""

    content_type: str
    item_id: str
    title: str | None  # B's title, else A's, else the latest known
    in_a: bool  # A has a row for it (a NULL version: A saw it gone)
    has_a: bool  # A has a version of it
    in_b: bool
    has_b: bool


@dataclass(frozen=True, slots=True)
class StoredBlob:
    """One stored content with the hash and size recorded for it."""

    blob_id: int
    hash: str
    size: int
    content: bytes


@dataclass(frozen=True, slots=True)
class ForeignKeyViolation:
    """A row of SQLite's foreign_key_check: ``table`` row ``rowid`` has no ``parent`` row."""

    table: str
    rowid: int | None
    parent: str


_RUN_COLUMNS = tuple(f.name for f in fields(RunRecord))
_RUN_JSON_COLUMNS = ("options", "counts", "stats")
_SELECT_RUNS = "SELECT " + ", ".join(f'"{c}"' for c in _RUN_COLUMNS) + ' FROM "runs"'
_SNAPSHOT_COUNTS = (
    'SELECT i."content_type", COUNT(*) FROM "run_items" AS r '
    'JOIN "items" AS i ON i."item_key" = r."item_key" '
    'WHERE r."run_id" = ? AND r."version_id" IS NOT NULL GROUP BY 1 ORDER BY 1'
)
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
# Same version in both runs, its bytes replaced in place (telemetry only) by a run after A, up to B.
_TELEMETRY_ROWS = (
    'SELECT i."content_type", i."item_id", v."title" FROM "run_items" AS a '
    'JOIN "run_items" AS b ON b."run_id" = :b AND b."item_key" = a."item_key" '
    'AND b."version_id" = a."version_id" '
    'JOIN "versions" AS v ON v."version_id" = a."version_id" '
    'JOIN "items" AS i ON i."item_key" = a."item_key" '
    'WHERE a."run_id" = :a AND v."telemetry_run_id" > :a AND v."telemetry_run_id" <= :b'
)
_BLOBS_AFTER = (
    'SELECT "blob_id", "hash", "size", "content" FROM "blobs" '
    'WHERE "blob_id" > ? ORDER BY "blob_id" LIMIT ?'
)
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
# NOT IN builds one index of the versions' blobs; a correlated NOT EXISTS scanned versions once
# per blob (versions has no index on blob_id): 80 of verify's 82 seconds on a 440 MB vault.
_ORPHAN_BLOBS = (
    'SELECT COUNT(*) FROM "blobs" WHERE "blob_id" NOT IN (SELECT "blob_id" FROM "versions")'
)


def _run_record(row: sqlite3.Row | tuple[Any, ...]) -> RunRecord:
    values = dict(zip(_RUN_COLUMNS, row, strict=True))
    for name in _RUN_JSON_COLUMNS:
        values[name] = jsonio.loads(values[name]) if values[name] else {}
    return RunRecord(**values)


class VaultQueries:
    """The vault's read queries, each on the locked control connection (see `Vault.queries`)."""

    def __init__(self, using: Using) -> None:
        self._using = using

    def runs(self) -> list[RunRecord]:
        """Every run, oldest first."""
        with self._using("read runs") as conn:
            rows = conn.execute(_SELECT_RUNS + ' ORDER BY "run_id"').fetchall()
        return [_run_record(row) for row in rows]

    def run(self, run_id: int) -> RunRecord | None:
        """One run, or None when the vault has no such run."""
        with self._using("read runs") as conn:
            row = conn.execute(_SELECT_RUNS + ' WHERE "run_id" = ?', (run_id,)).fetchone()
        return None if row is None else _run_record(row)

    def last_finished_run(self, looker_url: str) -> RunRecord | None:
        """The latest run against *looker_url* that finished (its stats are final), or None."""
        sql = (
            _SELECT_RUNS + ' WHERE "looker_url" = ? AND "finished_at" IS NOT NULL '
            'ORDER BY "run_id" DESC LIMIT 1'
        )
        with self._using("read runs") as conn:
            row = conn.execute(sql, (looker_url,)).fetchone()
        return None if row is None else _run_record(row)

    def run_ids(self) -> list[int]:
        """Every run's id, oldest first."""
        with self._using("read runs") as conn:
            return [row[0] for row in conn.execute('SELECT "run_id" FROM "runs" ORDER BY "run_id"')]

    def looker_urls(self) -> list[str]:
        """The distinct Looker base URLs of the vault's runs, in the order they first appear."""
        sql = 'SELECT "looker_url" FROM "runs" GROUP BY "looker_url" ORDER BY MIN("run_id")'
        with self._using("read runs") as conn:
            return [url for (url,) in conn.execute(sql)]

    def failure_counts(self) -> dict[int, int]:
        """How many failures each run still has outstanding, for the runs that have any."""
        sql = 'SELECT "run_id", COUNT(*) FROM "failures" GROUP BY "run_id"'
        with self._using("read failures") as conn:
            return {int(run_id): int(count) for run_id, count in conn.execute(sql)}

    def snapshot_counts(self, run_id: int) -> dict[str, int]:
        """Items per type in a run's snapshot (what it saw, not what it saw gone)."""
        with self._using("count a run's items") as conn:
            return dict(conn.execute(_SNAPSHOT_COUNTS, (run_id,)).fetchall())

    def stored_bytes(self) -> dict[int, int]:
        """Bytes of content each run stored first, by run id (runs that stored none: absent)."""
        sql = 'SELECT "run_id", SUM("size") FROM "blobs" GROUP BY 1'
        with self._using("read runs") as conn:
            return {run_id: int(size or 0) for run_id, size in conn.execute(sql)}

    def list_items(
        self,
        content_type: str,
        *,
        run_id: int | None = None,
        folder_id: str | None = None,
        deleted: bool = False,
    ) -> list[ItemRow]:
        """Rows of one type in the latest state (or a run's snapshot), live or else deleted."""
        base = _LATEST_ROWS if run_id is None else _RUN_ROWS
        sql = f"SELECT * FROM ({base}) WHERE (\"state\" <> 'live') = :deleted"
        params: dict[str, Any] = {"type": content_type, "run": run_id, "deleted": deleted}
        if folder_id is not None:
            sql += ' AND "folder_id" = :folder'
            params["folder"] = folder_id
        with self._using("list items") as conn:
            return [ItemRow(*row) for row in conn.execute(sql + _LIST_ORDER, params)]

    def find_item(self, content_type: str, item_id: str, run_id: int | None) -> ItemVersion | None:
        """The item's latest version (or ``run_id``'s), None when that run saw it gone or missed it."""
        with self._using("read an item") as conn:
            if run_id is None:
                row = conn.execute(_LATEST_ITEM, (content_type, item_id)).fetchone()
            else:
                row = conn.execute(_RUN_ITEM, (run_id, content_type, item_id)).fetchone()
        if row is None or (run_id is not None and row[1]):
            return None
        if run_id is None:
            return ItemVersion(content_type, item_id, row[0], row[1], row[2])
        return ItemVersion(content_type, item_id, row[0], run_id)

    def diff_rows(self, run_a: int, run_b: int) -> list[DiffRow]:
        """Items whose version differs between two runs' snapshots, in no particular order."""
        with self._using("diff runs") as conn:
            rows = conn.execute(_DIFF_ROWS, {"a": run_a, "b": run_b}).fetchall()
        return [
            DiffRow(ct, item_id, title, bool(in_a), bool(has_a), bool(in_b), bool(has_b))
            for ct, item_id, title, in_a, has_a, in_b, has_b in rows
        ]

    def telemetry_rows(self, run_a: int, run_b: int) -> list[tuple[str, str, str | None]]:
        """``(type, id, title)`` of items whose telemetry only was last seen changing in (A, B]."""
        with self._using("diff runs") as conn:
            return conn.execute(_TELEMETRY_ROWS, {"a": run_a, "b": run_b}).fetchall()

    def integrity_check(self) -> list[str]:
        """SQLite's integrity_check rows (["ok"] when the file is sound)."""
        with self._using("check integrity") as conn:
            return [str(row[0]) for row in conn.execute("PRAGMA integrity_check")]

    def foreign_key_check(self) -> list[ForeignKeyViolation]:
        """Rows whose foreign key points nowhere."""
        with self._using("check integrity") as conn:
            rows = conn.execute("PRAGMA foreign_key_check").fetchall()
        return [ForeignKeyViolation(table, rowid, parent) for table, rowid, parent, _ in rows]

    def blob_count(self) -> int:
        """Stored contents, used or not."""
        with self._using("check content hashes") as conn:
            return int(conn.execute('SELECT COUNT(*) FROM "blobs"').fetchone()[0])

    def blobs_after(self, blob_id: int, limit: int) -> list[StoredBlob]:
        """Up to ``limit`` stored contents with ids above ``blob_id``, by id."""
        with self._using("check content hashes") as conn:
            rows = conn.execute(_BLOBS_AFTER, (blob_id, limit)).fetchall()
        return [StoredBlob(key, digest, size, bytes(data)) for key, digest, size, data in rows]

    def dangling_references(self) -> list[tuple[str, str]]:
        """``(what, offender)`` for every reference between tables that does not resolve."""
        with self._using("check references") as conn:
            return [(label, str(row[0])) for label, sql in _DANGLING for row in conn.execute(sql)]

    def orphan_blob_count(self) -> int:
        """Stored contents no version uses any more."""
        with self._using("count unused content") as conn:
            return int(conn.execute(_ORPHAN_BLOBS).fetchone()[0])
