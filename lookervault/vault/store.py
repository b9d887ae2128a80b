"""The vault: one SQLite file holding a lossless, resumable backup of a Looker instance."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import logging
import os
import sqlite3
import threading
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import stamina

from lookervault import jsonio
from lookervault.errors import VaultError
from lookervault.vault.records import Batch, Failure, ItemRecord

__all__ = [
    "BUSY_RETRY_ATTEMPTS",
    "BUSY_RETRY_TIMEOUT_S",
    "CONTROL_BUSY_TIMEOUT_MS",
    "MAX_ERROR_CHARS",
    "MAX_ROWS_PER_STATEMENT",
    "RUN_STATUSES",
    "SCHEMA_VERSION",
    "WRITER_BUSY_TIMEOUT_MS",
    "Vault",
    "VaultWriter",
]

logger = logging.getLogger(__name__)

_T = TypeVar("_T")

# The control connection is rarely contended, so SQLite's own busy handler may wait longer.
CONTROL_BUSY_TIMEOUT_MS = 5_000
# Writers wait only briefly inside SQLite: its busy handler is unfair, so stamina's jittered
# backoff does the real waiting and spreads the threads out.
WRITER_BUSY_TIMEOUT_MS = 200
_SQLITE_STATEMENT_CACHE = 128  # sqlite3's default
WRITER_CACHE_KIB = 256  # SQLite page cache per writer connection (its default is 2,000 KiB)
BUSY_RETRY_ATTEMPTS = 20
BUSY_RETRY_TIMEOUT_S = 60.0
_BUSY_WAIT_INITIAL_S = 0.02
_BUSY_WAIT_MAX_S = 2.0
_BUSY_WAIT_JITTER_S = 0.1
# Bounds one multi-row statement even where SQLite allows 250,000 variables.
MAX_ROWS_PER_STATEMENT = 500
MAX_ERROR_CHARS = 1_000
RUN_STATUSES = frozenset({"running", "interrupted", "partial", "failed", "complete"})

_SQLITE_HEADER = b"SQLite format 3\x00"
_SECRET_MARKERS = ("secret", "token", "password", "credential")
_REDACTED = "<redacted>"


@dataclass(frozen=True, slots=True)
class _Migration:
    version: int
    name: str
    statements: tuple[str, ...]


def _quote(name: str) -> str:
    """Quote an SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


_META_COLUMNS = ("title", "folder_id", "owner_id", "created_at", "updated_at", "deleted")
_V2_ITEM_COLUMNS = (
    "content_type",
    "item_id",
    *_META_COLUMNS,
    "size",
    "content_hash",
    "run_id",
    "extracted_at",
    "gone_run_id",
    "gone_at",
)

# Schema 2: every run is a snapshot. Content lives once per distinct byte string in "blobs"
# (content-addressed by sha256); "versions" are the distinct (item, blob) pairs with the
# metadata lifted from that content; "run_items" says which version each run saw (NULL: the
# run saw the item gone). "items" stays the latest state, now without the content itself.
# Runs recorded before schema 2 kept only the latest content: their history is "latest-only".
_HISTORY_STATEMENTS: tuple[str, ...] = (
    """CREATE TABLE "blobs" (
        "blob_id" INTEGER PRIMARY KEY,
        "hash" TEXT NOT NULL UNIQUE,
        "size" INTEGER NOT NULL,
        "run_id" INTEGER NOT NULL REFERENCES "runs" ("run_id"),
        "content" BLOB NOT NULL
    )""",
    # Covers `runs` (bytes each run added) without reading the content pages.
    'CREATE INDEX "blobs_by_run" ON "blobs" ("run_id", "size")',
    'INSERT OR IGNORE INTO "blobs" ("hash", "size", "run_id", "content") '
    'SELECT "content_hash", "size", "run_id", "content" FROM "items" '
    'ORDER BY "run_id", "content_type", "item_id"',
    # A stable integer key (not the implicit rowid, which VACUUM may renumber) keeps the
    # per-run rows small.
    """CREATE TABLE "items_v2" (
        "item_key" INTEGER PRIMARY KEY,
        "content_type" TEXT NOT NULL,
        "item_id" TEXT NOT NULL,
        "title" TEXT,
        "folder_id" TEXT,
        "owner_id" TEXT,
        "created_at" TEXT,
        "updated_at" TEXT,
        "deleted" INTEGER NOT NULL DEFAULT 0,
        "size" INTEGER NOT NULL,
        "content_hash" TEXT NOT NULL,
        "run_id" INTEGER NOT NULL REFERENCES "runs" ("run_id"),
        "extracted_at" TEXT NOT NULL,
        "gone_run_id" INTEGER REFERENCES "runs" ("run_id"),
        "gone_at" TEXT,
        UNIQUE ("content_type", "item_id")
    )""",
    f'INSERT INTO "items_v2" ({", ".join(_quote(c) for c in _V2_ITEM_COLUMNS)}) '
    f'SELECT {", ".join(_quote(c) for c in _V2_ITEM_COLUMNS)} FROM "items" '
    'ORDER BY "content_type", "item_id"',
    'DROP TABLE "items"',
    'ALTER TABLE "items_v2" RENAME TO "items"',
    'CREATE INDEX "items_by_run" ON "items" ("content_type", "run_id")',
    """CREATE TABLE "versions" (
        "version_id" INTEGER PRIMARY KEY,
        "item_key" INTEGER NOT NULL,
        "blob_id" INTEGER NOT NULL,
        "title" TEXT,
        "folder_id" TEXT,
        "owner_id" TEXT,
        "created_at" TEXT,
        "updated_at" TEXT,
        "deleted" INTEGER NOT NULL DEFAULT 0,
        UNIQUE ("item_key", "blob_id")
    )""",
    'INSERT INTO "versions" ("item_key", "blob_id", "title", "folder_id", "owner_id", '
    '"created_at", "updated_at", "deleted") '
    'SELECT i."item_key", b."blob_id", i."title", i."folder_id", i."owner_id", '
    'i."created_at", i."updated_at", i."deleted" '
    'FROM "items" AS i JOIN "blobs" AS b ON b."hash" = i."content_hash" ORDER BY i."item_key"',
    # WITHOUT ROWID: 100k items x 10 runs is a million rows of three integers.
    """CREATE TABLE "run_items" (
        "run_id" INTEGER NOT NULL,
        "item_key" INTEGER NOT NULL,
        "version_id" INTEGER,
        PRIMARY KEY ("run_id", "item_key")
    ) WITHOUT ROWID""",
    'INSERT INTO "run_items" ("run_id", "item_key", "version_id") '
    'SELECT i."run_id", i."item_key", v."version_id" '
    'FROM "items" AS i JOIN "versions" AS v ON v."item_key" = i."item_key"',
    'INSERT OR REPLACE INTO "run_items" ("run_id", "item_key", "version_id") '
    'SELECT "gone_run_id", "item_key", NULL FROM "items" WHERE "gone_run_id" IS NOT NULL',
    """ALTER TABLE "runs" ADD COLUMN "history" TEXT NOT NULL DEFAULT 'full'""",
    """UPDATE "runs" SET "history" = 'latest-only'""",
)


# Append only: each migration runs once, in order, committed together with its record.
_MIGRATIONS: tuple[_Migration, ...] = (
    _Migration(
        1,
        "initial",
        (
            """CREATE TABLE "runs" (
                "run_id" INTEGER PRIMARY KEY,
                "started_at" TEXT NOT NULL,
                "finished_at" TEXT,
                "status" TEXT NOT NULL,
                "options" TEXT NOT NULL DEFAULT '{}',
                "counts" TEXT NOT NULL DEFAULT '{}',
                "stats" TEXT NOT NULL DEFAULT '{}',
                "looker_url" TEXT NOT NULL,
                "looker_release" TEXT,
                "api_version" TEXT,
                "tool_version" TEXT NOT NULL,
                "resumes" INTEGER NOT NULL DEFAULT 0
            )""",
            # A rowid table, not WITHOUT ROWID: payloads are often larger than the ~1/20 page
            # that SQLite recommends as the ceiling for WITHOUT ROWID rows.
            """CREATE TABLE "items" (
                "content_type" TEXT NOT NULL,
                "item_id" TEXT NOT NULL,
                "content" BLOB NOT NULL,
                "title" TEXT,
                "folder_id" TEXT,
                "owner_id" TEXT,
                "created_at" TEXT,
                "updated_at" TEXT,
                "deleted" INTEGER NOT NULL DEFAULT 0,
                "size" INTEGER NOT NULL,
                "content_hash" TEXT NOT NULL,
                "run_id" INTEGER NOT NULL REFERENCES "runs" ("run_id"),
                "extracted_at" TEXT NOT NULL,
                "gone_run_id" INTEGER REFERENCES "runs" ("run_id"),
                "gone_at" TEXT,
                PRIMARY KEY ("content_type", "item_id")
            )""",
            'CREATE INDEX "items_by_run" ON "items" ("content_type", "run_id")',
            """CREATE TABLE "checkpoints" (
                "run_id" INTEGER NOT NULL REFERENCES "runs" ("run_id"),
                "content_type" TEXT NOT NULL,
                "key" TEXT NOT NULL,
                "done_at" TEXT NOT NULL,
                PRIMARY KEY ("run_id", "content_type", "key")
            ) WITHOUT ROWID""",
            """CREATE TABLE "failures" (
                "run_id" INTEGER NOT NULL REFERENCES "runs" ("run_id"),
                "content_type" TEXT NOT NULL,
                "key" TEXT NOT NULL,
                "error" TEXT NOT NULL,
                "attempts" INTEGER NOT NULL DEFAULT 1,
                "last_at" TEXT NOT NULL,
                PRIMARY KEY ("run_id", "content_type", "key")
            ) WITHOUT ROWID""",
        ),
    ),
    _Migration(2, "history", _HISTORY_STATEMENTS),
)
SCHEMA_VERSION: int = _MIGRATIONS[-1].version

_CREATE_MIGRATIONS_TABLE = """CREATE TABLE IF NOT EXISTS "migrations" (
    "version" INTEGER PRIMARY KEY,
    "name" TEXT NOT NULL,
    "applied_at" TEXT NOT NULL
)"""

_ITEM_KEY = ("content_type", "item_id")
_ITEM_COLUMNS = (
    *_ITEM_KEY,
    *_META_COLUMNS,
    "size",
    "content_hash",
    "run_id",
    "extracted_at",
)
_BLOB_COLUMNS = ("hash", "size", "run_id", "content")
_VERSION_COLUMNS = ("item_key", "blob_id", *_META_COLUMNS)
_RUN_ITEM_COLUMNS = ("run_id", "item_key", "version_id")
_INSERT_CHECKPOINT = (
    'INSERT OR IGNORE INTO "checkpoints" ("run_id", "content_type", "key", "done_at") '
    "VALUES (?, ?, ?, ?)"
)
_DELETE_FAILURE = 'DELETE FROM "failures" WHERE "run_id" = ? AND "content_type" = ? AND "key" = ?'
_UPSERT_FAILURE = (
    'INSERT INTO "failures" ("run_id", "content_type", "key", "error", "attempts", "last_at") '
    'VALUES (?, ?, ?, ?, 1, ?) ON CONFLICT ("run_id", "content_type", "key") DO UPDATE SET '
    '"error" = excluded."error", "attempts" = "failures"."attempts" + 1, '
    '"last_at" = excluded."last_at"'
)
_MARK_GONE = (
    'UPDATE "items" SET "gone_run_id" = ?, "gone_at" = ? '
    'WHERE "content_type" = ? AND "item_id" = ? AND "gone_run_id" IS NULL'
)
# The run saw the item gone: a NULL version in its snapshot (a diff shows it removed).
_RUN_SAW_GONE = (
    'INSERT INTO "run_items" ("run_id", "item_key", "version_id") '
    'SELECT ?, "item_key", NULL FROM "items" WHERE "content_type" = ? AND "item_id" = ? '
    'ON CONFLICT ("run_id", "item_key") DO UPDATE SET "version_id" = NULL'
)
_MARK_UNSEEN_GONE = (
    'UPDATE "items" SET "gone_run_id" = ?, "gone_at" = ? '
    'WHERE "content_type" = ? AND "run_id" <> ? AND "gone_run_id" IS NULL'
)
_RUN_SAW_UNSEEN_GONE = (
    'INSERT INTO "run_items" ("run_id", "item_key", "version_id") '
    'SELECT ?, "item_key", NULL FROM "items" '
    'WHERE "content_type" = ? AND "run_id" <> ? AND "gone_run_id" IS NULL '
    'ON CONFLICT ("run_id", "item_key") DO UPDATE SET "version_id" = NULL'
)
# CROSS JOIN keeps items outermost, so its (content_type, item_id) index gives the order and
# SQLite never sorts the content.
_LATEST_ITEMS = (
    'SELECT i."content_type", i."item_id", b."content" FROM "items" AS i '
    'CROSS JOIN "blobs" AS b ON b."hash" = i."content_hash" WHERE i."gone_run_id" IS NULL'
)
_RUN_ITEMS = (
    'SELECT i."content_type", i."item_id", b."content" FROM "items" AS i '
    'CROSS JOIN "run_items" AS r ON r."run_id" = ? AND r."item_key" = i."item_key" '
    'CROSS JOIN "versions" AS v ON v."version_id" = r."version_id" '
    'CROSS JOIN "blobs" AS b ON b."blob_id" = v."blob_id" WHERE true'
)
_RUN_JSON_COLUMNS = ("options", "counts", "stats")


def _values(columns: Sequence[str], rows: int, one_row: str | None = None) -> str:
    """``(c1, c2) VALUES (?, ?), (?, ?)...`` for a multi-row insert of ``rows`` rows."""
    one_row = one_row or "(" + ", ".join(["?"] * len(columns)) + ")"
    names = ", ".join(_quote(c) for c in columns)
    return f"({names}) VALUES {', '.join([one_row] * rows)}"


@functools.lru_cache(maxsize=32)
def _upsert_items_sql(rows: int) -> str:
    """Multi-row upsert of ``rows`` items; re-writing an item clears its gone mark."""
    updates = ", ".join(
        f"{_quote(c)} = excluded.{_quote(c)}" for c in _ITEM_COLUMNS if c not in _ITEM_KEY
    )
    return (
        f'INSERT INTO "items" {_values(_ITEM_COLUMNS, rows)} '
        f'ON CONFLICT ("content_type", "item_id") DO UPDATE SET {updates}, '
        '"gone_run_id" = NULL, "gone_at" = NULL '
        'RETURNING "item_key", "content_type", "item_id"'
    )


@functools.lru_cache(maxsize=32)
def _insert_blobs_sql(rows: int) -> str:
    """Store each distinct content once: a known hash is left untouched (no page rewrite)."""
    return f'INSERT INTO "blobs" {_values(_BLOB_COLUMNS, rows)} ON CONFLICT ("hash") DO NOTHING'


@functools.lru_cache(maxsize=32)
def _upsert_versions_sql(rows: int) -> str:
    """One version per distinct (item, content); the blob is found by its hash."""
    one_row = '(?, (SELECT "blob_id" FROM "blobs" WHERE "hash" = ?), ?, ?, ?, ?, ?, ?)'
    updates = ", ".join(f"{_quote(c)} = excluded.{_quote(c)}" for c in _META_COLUMNS)
    return (
        f'INSERT INTO "versions" {_values(_VERSION_COLUMNS, rows, one_row)} '
        f'ON CONFLICT ("item_key", "blob_id") DO UPDATE SET {updates} '
        'RETURNING "item_key", "version_id"'
    )


@functools.lru_cache(maxsize=32)
def _upsert_run_items_sql(rows: int) -> str:
    """What the run saw of each item; a resumed run (same run id) overwrites its own rows."""
    return (
        f'INSERT INTO "run_items" {_values(_RUN_ITEM_COLUMNS, rows)} '
        'ON CONFLICT ("run_id", "item_key") DO UPDATE SET "version_id" = excluded."version_id"'
    )


def _utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


@contextlib.contextmanager
def _sqlite_errors(context: str) -> Generator[None]:
    """The module boundary: no raw sqlite3 error leaves this module."""
    try:
        yield
    except sqlite3.Error as exc:
        raise VaultError(f"{context}: {exc}") from exc


def _connect(
    path: Path, *, busy_timeout_ms: int, cached_statements: int = _SQLITE_STATEMENT_CACHE
) -> sqlite3.Connection:
    """Open an existing vault file (never create it, so its 0600 mode stays ours)."""
    conn = sqlite3.connect(
        f"{path.as_uri()}?mode=rw",
        uri=True,
        timeout=busy_timeout_ms / 1000,
        isolation_level=None,  # we issue BEGIN/COMMIT ourselves
        check_same_thread=False,  # a writer may be created and closed outside its thread
        cached_statements=cached_statements,
    )
    try:
        conn.execute("PRAGMA foreign_keys = ON")
        # Safe in WAL mode: a crash may lose the last commits, never corrupt the file.
        conn.execute("PRAGMA synchronous = NORMAL")
    except BaseException:
        conn.close()
        raise
    return conn


@contextlib.contextmanager
def _transaction(conn: sqlite3.Connection) -> Generator[None]:
    """BEGIN IMMEDIATE ... COMMIT, or a savepoint when already inside a transaction."""
    if conn.in_transaction:
        conn.execute('SAVEPOINT "lookervault"')
        try:
            yield
        except BaseException:
            conn.execute('ROLLBACK TO "lookervault"')
            conn.execute('RELEASE "lookervault"')
            raise
        conn.execute('RELEASE "lookervault"')
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
        raise


def _is_busy(exc: Exception) -> bool:
    """Retry predicate: another connection holds the write lock."""
    if not isinstance(exc, sqlite3.OperationalError):
        return False
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
    return "locked" in str(exc) or "busy" in str(exc)


def _write_retrying(
    conn: sqlite3.Connection,
    work: Callable[[sqlite3.Connection], _T],
    on_retry: Callable[[], None] | None = None,
) -> _T:
    """Run ``work`` in one write transaction, retrying the whole of it while SQLite is busy."""
    for attempt in stamina.retry_context(
        on=_is_busy,
        attempts=BUSY_RETRY_ATTEMPTS,
        timeout=BUSY_RETRY_TIMEOUT_S,
        wait_initial=_BUSY_WAIT_INITIAL_S,
        wait_max=_BUSY_WAIT_MAX_S,
        wait_jitter=_BUSY_WAIT_JITTER_S,
    ):
        with attempt:
            if attempt.num > 1:
                logger.debug("vault busy, retrying transaction (attempt %d)", attempt.num)
                if on_retry is not None:
                    on_retry()
            with _transaction(conn):
                return work(conn)
    raise AssertionError("unreachable: stamina re-raises the last error")  # pragma: no cover


def _serialize(content: Any) -> bytes:
    """Compact UTF-8 JSON, or the bytes as given (an item's content is stored as Looker sent it)."""
    if isinstance(content, bytes | bytearray | memoryview):
        return bytes(content)
    return jsonio.dumps(content)


@dataclass(frozen=True, slots=True)
class _Row:
    """One item serialized for the items, blobs and versions tables."""

    key: tuple[str, str]
    item: tuple[Any, ...]  # values of _ITEM_COLUMNS
    blob: tuple[Any, ...]  # values of _BLOB_COLUMNS
    meta: tuple[Any, ...]  # values of _META_COLUMNS


def _item_row(item: ItemRecord, run_id: int, now: str) -> _Row:
    """Validate and serialize one item."""
    if not isinstance(item.item_id, str) or not item.item_id:
        raise VaultError(f"{item.content_type} item without an item_id: {item.item_id!r}")
    if not isinstance(item.content_type, str) or not item.content_type:
        raise VaultError(f"item {item.item_id} without a content_type")
    try:
        data = _serialize(item.content)
    except (TypeError, ValueError) as exc:
        raise VaultError(f"cannot serialize {item.content_type} {item.item_id}: {exc}") from exc
    digest = hashlib.sha256(data).hexdigest()
    meta = (item.title, item.folder_id, item.owner_id, item.created_at, item.updated_at)
    meta += (int(item.deleted),)
    key = (item.content_type, item.item_id)
    return _Row(
        key=key,
        item=(*key, *meta, len(data), digest, run_id, now),
        blob=(digest, len(data), run_id, data),
        meta=meta,
    )


def _unique_rows(rows: Iterable[_Row]) -> list[_Row]:
    """The last write of each item wins, as it would across separate statements."""
    return list({row.key: row for row in rows}.values())


def _one_line(error: str) -> str:
    return " ".join(str(error).split())[:MAX_ERROR_CHARS]


def _write_items(
    conn: sqlite3.Connection, run_id: int, rows: Sequence[_Row], rows_per_statement: int
) -> None:
    """Store content once, the item's latest state, its version and this run's view of it."""
    for start in range(0, len(rows), rows_per_statement):
        chunk = rows[start : start + rows_per_statement]
        count = len(chunk)
        conn.execute(_insert_blobs_sql(count), [v for row in chunk for v in row.blob])
        cursor = conn.execute(_upsert_items_sql(count), [v for row in chunk for v in row.item])
        keys = {(ct, item_id): key for key, ct, item_id in cursor.fetchall()}
        params = [v for row in chunk for v in (keys[row.key], row.blob[0], *row.meta)]
        versions = dict(conn.execute(_upsert_versions_sql(count), params).fetchall())
        seen = [v for row in chunk for v in (run_id, keys[row.key], versions[keys[row.key]])]
        conn.execute(_upsert_run_items_sql(count), seen)


def _present_items(content_type: str, run_id: int | None) -> tuple[str, tuple[Any, ...]]:
    """WHERE clause and parameters for items present, optionally only those `run_id` wrote."""
    if run_id is None:
        return '"content_type" = ? AND "gone_run_id" IS NULL', (content_type,)
    return '"content_type" = ? AND "gone_run_id" IS NULL AND "run_id" = ?', (content_type, run_id)


def _mark_gone(
    conn: sqlite3.Connection, run_id: int, now: str, gone: Iterable[tuple[str, str]]
) -> int:
    """Record that ``run_id`` saw these items gone; returns how many were newly marked."""
    pairs = list(dict.fromkeys(gone))
    conn.executemany(_RUN_SAW_GONE, [(run_id, ct, item_id) for ct, item_id in pairs])
    cursor = conn.executemany(_MARK_GONE, [(run_id, now, ct, item_id) for ct, item_id in pairs])
    return cursor.rowcount


def _mark_unseen_gone(conn: sqlite3.Connection, run_id: int, now: str, content_type: str) -> int:
    conn.execute(_RUN_SAW_UNSEEN_GONE, (run_id, content_type, run_id))
    return conn.execute(_MARK_UNSEEN_GONE, (run_id, now, content_type, run_id)).rowcount


def _apply_batch(
    conn: sqlite3.Connection,
    batch: Batch,
    rows: Sequence[_Row],
    now: str,
    rows_per_statement: int,
) -> None:
    """All statements of one batch; the caller wraps them in one transaction."""
    run = batch.run_id
    _write_items(conn, run, rows, rows_per_statement)
    if batch.checkpoints:
        conn.executemany(_INSERT_CHECKPOINT, [(run, ct, key, now) for ct, key in batch.checkpoints])
        conn.executemany(_DELETE_FAILURE, [(run, ct, key) for ct, key in batch.checkpoints])
    if batch.failures:
        conn.executemany(
            _UPSERT_FAILURE,
            [(run, f.content_type, f.key, _one_line(f.error), now) for f in batch.failures],
        )
    if batch.gone:
        _mark_gone(conn, run, now, batch.gone)


def _json_default(obj: Any) -> Any:
    if isinstance(obj, set | frozenset):
        return sorted(obj, key=str)
    return str(obj)


def _dumps(obj: Any) -> str:
    """JSON text for the runs table's options, counts and stats."""
    return jsonio.dumps(obj, default=_json_default).decode("utf-8")


def _redact(obj: Any) -> Any:
    """Blank the values of secret-looking keys: the vault never stores credentials."""
    if isinstance(obj, dict):
        return {
            key: _REDACTED
            if any(marker in str(key).lower() for marker in _SECRET_MARKERS)
            else _redact(value)
            for key, value in obj.items()
        }
    if isinstance(obj, list | tuple):
        return [_redact(value) for value in obj]
    return obj


def _strip_userinfo(url: str) -> str:
    """Drop ``user:password@`` and the query string from a URL before storing it."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc.rpartition("@")[2], parts.path, "", ""))


def _create_private_file(path: Path) -> None:
    """Create the vault file 0600 before SQLite sees it (SQLite copies that mode to -wal/-shm)."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    except OSError as exc:
        raise VaultError(f"cannot create vault at {path}: {exc.strerror}") from exc
    try:
        os.fchmod(fd, 0o600)  # the umask may have dropped bits SQLite needs
    finally:
        os.close(fd)


def _check_existing(path: Path) -> None:
    if not path.is_file():
        raise VaultError(f"cannot open vault at {path}: not a regular file")
    if not os.access(path, os.R_OK | os.W_OK):
        raise VaultError(f"cannot open vault at {path}: permission denied")
    try:
        with path.open("rb") as handle:
            header = handle.read(len(_SQLITE_HEADER))
    except OSError as exc:
        raise VaultError(f"cannot open vault at {path}: {exc.strerror}") from exc
    if header and header != _SQLITE_HEADER:
        raise VaultError(f"cannot open vault at {path}: not a SQLite database")


def _applied_versions(conn: sqlite3.Connection) -> set[int]:
    exists = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'migrations'"
    ).fetchone()
    if not exists:
        return set()
    return {version for (version,) in conn.execute('SELECT "version" FROM "migrations"')}


def _apply_migration(conn: sqlite3.Connection, migration: _Migration) -> bool:
    """Apply one migration unless another process did first; runs inside the write lock."""
    conn.execute(_CREATE_MIGRATIONS_TABLE)
    if migration.version in _applied_versions(conn):
        return False
    for statement in migration.statements:
        conn.execute(statement)
    conn.execute(
        'INSERT INTO "migrations" ("version", "name", "applied_at") VALUES (?, ?, ?)',
        (migration.version, migration.name, _utc_now()),
    )
    conn.execute(f"PRAGMA user_version = {int(migration.version)}")
    logger.info("vault migrated to schema %d (%s)", migration.version, migration.name)
    return True


def _check_schema(conn: sqlite3.Connection, path: Path) -> None:
    """Refuse vaults from a newer lookervault and SQLite files that are not vaults."""
    (version,) = conn.execute("PRAGMA user_version").fetchone()
    if version > SCHEMA_VERSION:
        raise VaultError(
            f"cannot open vault at {path}: schema version {version} is newer than this "
            f"lookervault supports ({SCHEMA_VERSION}); upgrade lookervault"
        )
    if version == 0:
        foreign = conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' "
            "AND name NOT LIKE 'sqlite_%' AND name <> 'migrations'"
        ).fetchall()
        if foreign:
            raise VaultError(f"cannot open vault at {path}: not a LookerVault database")


def _migrate(conn: sqlite3.Connection) -> tuple[str, ...]:
    """Apply every pending migration; returns the names applied now."""
    applied = _applied_versions(conn)
    names = []
    for migration in _MIGRATIONS:
        if migration.version in applied:
            continue
        if _write_retrying(conn, functools.partial(_apply_migration, migration=migration)):
            names.append(migration.name)
    return tuple(names)


class Vault:
    """Control connection: open/create, migrate, runs, checkpoints, queries, export.

    Methods serialize on a lock, so any one thread at a time may call them; writer threads
    each take their own `writer()`.

    Attributes:
        path: the absolute path of the vault file.
        applied_migrations: names of the migrations this open applied (empty when current).
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path).absolute()
        self.check_path(self.path)
        _create_private_file(self.path)
        self._lock = threading.RLock()
        # Writers of this vault take turns in-process (see `writer`).
        self._write_lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        with _sqlite_errors(f"cannot open vault at {self.path}"):
            conn = _connect(self.path, busy_timeout_ms=CONTROL_BUSY_TIMEOUT_MS)
            try:
                self._enable_wal(conn)
                _check_schema(conn, self.path)
                self.applied_migrations = _migrate(conn)
            except BaseException:
                conn.close()
                raise
        self._conn = conn

    @staticmethod
    def check_path(path: str | os.PathLike[str]) -> None:
        """Check that a vault can be created or opened at ``path``, creating nothing.

        Raises:
            VaultError: the directory is missing, not a directory or read-only, or the file
                exists but is not a readable, writable SQLite file.
        """
        target = Path(path).absolute()
        parent = target.parent
        if not parent.is_dir():
            what = "is not a directory" if parent.exists() else "does not exist"
            raise VaultError(f"cannot create vault at {target}: {parent} {what}")
        # WAL needs to create -wal and -shm beside the file, even when the file exists.
        if not os.access(parent, os.W_OK | os.X_OK):
            raise VaultError(f"cannot create vault at {target}: directory {parent} is read-only")
        if target.exists():
            _check_existing(target)

    def _enable_wal(self, conn: sqlite3.Connection) -> None:
        # journal_mode cannot change inside a transaction; the connection is in autocommit.
        (mode,) = conn.execute("PRAGMA journal_mode = WAL").fetchone()
        if str(mode).lower() != "wal":
            logger.warning("vault %s cannot use WAL (journal mode %s)", self.path, mode)

    @contextlib.contextmanager
    def _using(self, action: str) -> Generator[sqlite3.Connection]:
        """Lock the control connection and translate sqlite3 errors for ``action``."""
        with self._lock:
            if self._conn is None:
                raise VaultError(f"cannot {action}: vault {self.path} is closed")
            with _sqlite_errors(f"cannot {action} in vault {self.path}"):
                yield self._conn

    def _write(self, action: str, work: Callable[[sqlite3.Connection], _T]) -> _T:
        with self._using(action) as conn, self._write_lock:
            return _write_retrying(conn, work)

    def start_run(
        self,
        *,
        options: dict,
        looker_url: str,
        looker_release: str | None,
        api_version: str | None,
        tool_version: str,
    ) -> int:
        """Record a new run with status "running" and return its id."""
        row = (
            _utc_now(),
            _dumps(_redact(options)),
            _strip_userinfo(looker_url),
            looker_release,
            api_version,
            tool_version,
        )
        sql = (
            'INSERT INTO "runs" ("started_at", "status", "options", "looker_url", '
            '"looker_release", "api_version", "tool_version", "resumes") '
            "VALUES (?, 'running', ?, ?, ?, ?, ?, 0)"
        )
        run_id = self._write("start a run", lambda conn: conn.execute(sql, row).lastrowid)
        logger.info("started run %s", run_id)
        return int(run_id or 0)

    def resumable_run(self) -> int | None:
        """The latest run if it did not complete (a completed later run supersedes older ones)."""
        with self._using("find a resumable run") as conn:
            row = conn.execute(
                'SELECT "run_id", "status" FROM "runs" ORDER BY "run_id" DESC LIMIT 1'
            ).fetchone()
        if row is None or row[1] == "complete":
            return None
        return int(row[0])

    def reopen_run(self, run_id: int) -> None:
        """Set a run back to "running" and count the resume."""
        sql = (
            'UPDATE "runs" SET "status" = \'running\', "finished_at" = NULL, '
            '"resumes" = "resumes" + 1 WHERE "run_id" = ?'
        )
        changed = self._write("reopen a run", lambda conn: conn.execute(sql, (run_id,)).rowcount)
        if not changed:
            raise VaultError(f"cannot reopen run {run_id}: no such run in {self.path}")
        logger.info("resuming run %s", run_id)

    def checkpoints(self, run_id: int, content_type: str) -> set[str]:
        """Keys of the pages/items of ``content_type`` that ``run_id`` finished."""
        sql = 'SELECT "key" FROM "checkpoints" WHERE "run_id" = ? AND "content_type" = ?'
        with self._using("read checkpoints") as conn:
            return {key for (key,) in conn.execute(sql, (run_id, content_type))}

    def item_ids(self, content_type: str, *, run_id: int | None = None) -> set[str]:
        """Ids of the items present (not gone); with ``run_id``, only those it wrote last."""
        where, params = _present_items(content_type, run_id)
        with self._using("read item ids") as conn:
            rows = conn.execute(f'SELECT "item_id" FROM "items" WHERE {where}', params)
            return {item_id for (item_id,) in rows}

    def count_items(self, content_type: str, *, run_id: int | None = None) -> int:
        """How many ids `item_ids` would return, without holding them in memory."""
        where, params = _present_items(content_type, run_id)
        with self._using("count items") as conn:
            return int(
                conn.execute(f'SELECT COUNT(*) FROM "items" WHERE {where}', params).fetchone()[0]
            )

    def record_gone(self, run_id: int, content_type: str, item_ids: Iterable[str]) -> int:
        """Mark items that disappeared from Looker; returns how many were newly marked."""
        now = _utc_now()
        pairs = [(content_type, item_id) for item_id in item_ids]
        if not pairs:
            return 0
        return self._write("record gone items", lambda c: _mark_gone(c, run_id, now, pairs))

    def mark_unseen_gone(self, run_id: int, content_type: str) -> int:
        """Mark gone every item of ``content_type`` that ``run_id`` did not write.

        Call it only once ``run_id`` has listed that type completely: otherwise items it
        merely failed to fetch would be marked gone.
        """
        now = _utc_now()
        count = self._write(
            "mark unseen items gone", lambda c: _mark_unseen_gone(c, run_id, now, content_type)
        )
        if count:
            logger.info("%d %s no longer in Looker, marked gone", count, content_type)
        return count

    def failures(self, run_id: int) -> list[Failure]:
        """Outstanding failures of ``run_id``, by content type then key."""
        sql = (
            'SELECT "content_type", "key", "error" FROM "failures" WHERE "run_id" = ? '
            'ORDER BY "content_type", "key"'
        )
        with self._using("read failures") as conn:
            return [Failure(*row) for row in conn.execute(sql, (run_id,))]

    def finish_run(self, run_id: int, *, status: str, counts: dict[str, int], stats: dict) -> None:
        """Close a run with its final status, item counts and request statistics."""
        if status not in RUN_STATUSES:
            raise VaultError(
                f"unknown run status {status!r}; expected one of {sorted(RUN_STATUSES)}"
            )
        sql = (
            'UPDATE "runs" SET "status" = ?, "finished_at" = ?, "counts" = ?, "stats" = ? '
            'WHERE "run_id" = ?'
        )
        params = (status, _utc_now(), _dumps(counts), _dumps(stats), run_id)
        if not self._write("finish a run", lambda conn: conn.execute(sql, params).rowcount):
            raise VaultError(f"cannot finish run {run_id}: no such run in {self.path}")
        logger.info("run %s finished: %s", run_id, status)

    def runs(self) -> list[dict]:
        """Every run, oldest first, with options, counts and stats decoded."""
        with self._using("read runs") as conn:
            cursor = conn.execute('SELECT * FROM "runs" ORDER BY "run_id"')
            names = [column[0] for column in cursor.description]
            rows = [dict(zip(names, row, strict=True)) for row in cursor]
        for row in rows:
            for name in _RUN_JSON_COLUMNS:
                row[name] = jsonio.loads(row[name]) if row[name] else {}
        return rows

    def iter_items(
        self, content_types: Iterable[str] | None = None, *, run_id: int | None = None
    ) -> Iterator[tuple[str, str, bytes]]:
        """Stream ``(content_type, item_id, content)`` by type then id.

        Without ``run_id``: the latest state, items gone excluded. With ``run_id``: that run's
        snapshot, each item as that run fetched it (what it saw gone is excluded).
        """
        params: list[Any] = []
        if run_id is None:
            sql = _LATEST_ITEMS
        else:
            sql = _RUN_ITEMS
            params.append(run_id)
        if content_types is not None:
            wanted = list(dict.fromkeys(content_types))
            if not wanted:
                return
            sql += f' AND i."content_type" IN ({", ".join(["?"] * len(wanted))})'
            params += wanted
        sql += ' ORDER BY i."content_type", i."item_id"'
        with self._using("read items") as conn:
            cursor = conn.execute(sql, params)
        try:
            with _sqlite_errors(f"cannot read items in vault {self.path}"):
                yield from cursor
        finally:
            cursor.close()

    @contextlib.contextmanager
    def reading(self, action: str) -> Generator[sqlite3.Connection]:
        """The control connection, locked, for read-only queries (history, verify).

        sqlite3 errors raised inside become `VaultError`; finish with every cursor inside.
        """
        with self._using(action) as conn:
            yield conn

    def counts(self) -> dict[str, int]:
        """Number of items not gone, per content type."""
        sql = (
            'SELECT "content_type", COUNT(*) FROM "items" WHERE "gone_run_id" IS NULL '
            'GROUP BY "content_type" ORDER BY "content_type"'
        )
        with self._using("count items") as conn:
            return dict(conn.execute(sql))

    def writer(
        self,
        *,
        busy_timeout_ms: int = WRITER_BUSY_TIMEOUT_MS,
        rows_per_statement: int | None = None,
        share_lock: bool = True,
    ) -> VaultWriter:
        """A new connection for one writer thread; close it when the thread ends.

        Args:
            busy_timeout_ms: how long SQLite itself waits for the write lock before stamina's
                jittered retries take over.
            rows_per_statement: items per multi-row upsert (default: as many as SQLite allows,
                up to `MAX_ROWS_PER_STATEMENT`).
            share_lock: take turns with this vault's other writers on an in-process lock.
                SQLite admits one writer at a time anyway; queueing on a lock wastes no time
                in SQLite's unfair busy handler, so SQLITE_BUSY retries are left for other
                connections and processes.
        """
        with self._using("open a writer"):
            return VaultWriter(
                self.path,
                busy_timeout_ms=busy_timeout_ms,
                rows_per_statement=rows_per_statement,
                write_lock=self._write_lock if share_lock else None,
            )

    def close(self) -> None:
        """Close the control connection (idempotent)."""
        with self._lock:
            conn, self._conn = self._conn, None
        if conn is None:
            return
        with _sqlite_errors(f"cannot close vault {self.path}"):
            try:
                conn.execute("PRAGMA optimize")  # keeps the query planner's statistics fresh
            finally:
                conn.close()

    def __enter__(self) -> Vault:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class VaultWriter:
    """One writer thread's connection: each `write` is one transaction, retried while busy.

    Attributes:
        retries: transactions restarted because another connection held the write lock.
        batches_written: batches committed.
        items_written: item rows committed.
    """

    def __init__(
        self,
        path: Path,
        *,
        busy_timeout_ms: int = WRITER_BUSY_TIMEOUT_MS,
        rows_per_statement: int | None = None,
        write_lock: contextlib.AbstractContextManager[Any] | None = None,
    ) -> None:
        self.path = path
        self._write_lock = write_lock or contextlib.nullcontext()
        self.retries = 0
        self.batches_written = 0
        self.items_written = 0
        with _sqlite_errors(f"cannot open vault at {path}"):
            # Not cached: a cached statement keeps its last bound values, here up to a page of
            # item blobs per multi-row statement and connection.
            conn = _connect(path, busy_timeout_ms=busy_timeout_ms, cached_statements=0)
            # Writers append: a small page cache each is enough, and N of them add up.
            conn.execute(f"PRAGMA cache_size = -{WRITER_CACHE_KIB}")
        self._conn: sqlite3.Connection | None = conn
        limit = conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
        per_statement = min(MAX_ROWS_PER_STATEMENT, limit // len(_ITEM_COLUMNS))
        self._rows_per_statement = max(1, min(rows_per_statement or per_statement, per_statement))

    def write(self, batch: Batch) -> None:
        """Commit a batch's items, checkpoints, failures and gone marks in one transaction.

        Raises:
            VaultError: an item has no id or cannot be serialized, the run does not exist,
                the vault stayed locked past the retry budget, or SQLite failed otherwise.
        """
        if not (batch.items or batch.checkpoints or batch.failures or batch.gone):
            return
        if self._conn is None:
            raise VaultError(f"cannot write: vault writer for {self.path} is closed")
        now = _utc_now()
        # Serialize and hash before taking the lock, and only once across retries.
        rows = _unique_rows(_item_row(item, batch.run_id, now) for item in batch.items)
        work = functools.partial(
            _apply_batch,
            batch=batch,
            rows=rows,
            now=now,
            rows_per_statement=self._rows_per_statement,
        )
        with self._write_lock, _sqlite_errors(f"cannot write to vault {self.path}"):
            _write_retrying(self._conn, work, on_retry=self._count_retry)
        self.batches_written += 1
        self.items_written += len(rows)

    def _count_retry(self) -> None:
        self.retries += 1

    def close(self) -> None:
        """Close the connection (idempotent)."""
        conn, self._conn = self._conn, None
        if conn is not None:
            with _sqlite_errors(f"cannot close vault writer for {self.path}"):
                conn.close()

    def __enter__(self) -> VaultWriter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
