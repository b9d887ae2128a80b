"""The write side of the vault: VaultWriter and the SQL that commits one batch in one transaction."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lookervault import jsonio
from lookervault.content import telemetry_fields
from lookervault.errors import VaultError
from lookervault.telemetry import content_key
from lookervault.vault.checkpointer import WRITER_AUTOCHECKPOINT_PAGES
from lookervault.vault.connection import (
    WRITER_BUSY_TIMEOUT_MS,
    WRITER_CACHE_KIB,
    connect,
    quote,
    sqlite_errors,
    utc_now,
    write_retrying,
)
from lookervault.vault.records import Batch, ItemRecord
from lookervault.vault.schema import META_COLUMNS

__all__ = [
    "BATCHES_PER_COMMIT",
    "MAX_ERROR_CHARS",
    "MAX_ROWS_PER_STATEMENT",
    "VaultWriter",
    "mark_gone",
    "mark_unseen_gone",
]

# Bounds one multi-row statement even where SQLite allows 250,000 variables.
MAX_ROWS_PER_STATEMENT = 500
MAX_ERROR_CHARS = 1_000
# Batches a writer thread takes from the stream at once and commits together, at most.
BATCHES_PER_COMMIT = 32

_ITEM_KEY = ("content_type", "item_id")
_ITEM_COLUMNS = (
    *_ITEM_KEY,
    *META_COLUMNS,
    "size",
    "content_hash",
    "run_id",
    "extracted_at",
)
_BLOB_COLUMNS = ("hash", "size", "run_id", "content")
_VERSION_COLUMNS = ("item_key", "blob_id", *META_COLUMNS)
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
# Spared ids (a JSON array) were listed but not served (unavailable explores): not gone.
_SPARED = '"item_id" NOT IN (SELECT "value" FROM json_each(?))'
_MARK_UNSEEN_GONE = (
    'UPDATE "items" SET "gone_run_id" = ?, "gone_at" = ? '
    f'WHERE "content_type" = ? AND "run_id" <> ? AND "gone_run_id" IS NULL AND {_SPARED}'
)
_RUN_SAW_UNSEEN_GONE = (
    'INSERT INTO "run_items" ("run_id", "item_key", "version_id") '
    'SELECT ?, "item_key", NULL FROM "items" '
    f'WHERE "content_type" = ? AND "run_id" <> ? AND "gone_run_id" IS NULL AND {_SPARED} '
    'ON CONFLICT ("run_id", "item_key") DO UPDATE SET "version_id" = NULL'
)


# The latest content of the items about to be written.
_LATEST_SQL = (
    'WITH "k" ("ct", "id") AS (VALUES {rows}) '
    'SELECT i."item_key", i."content_type", i."item_id", i."content_hash" '
    'FROM "k" JOIN "items" AS i ON i."content_type" = "k"."ct" AND i."item_id" = "k"."id"'
)
# Only telemetry changed: the latest version takes the new bytes in place of the old ones, so
# use between runs adds no version and no blob. Skipped when another version shares the old
# bytes or the new bytes are stored already (then the item gets a version as any change does).
_REPLACEABLE_BLOB = (
    'SELECT "blob_id" FROM "blobs" '
    'WHERE "hash" = :old AND NOT EXISTS (SELECT 1 FROM "blobs" WHERE "hash" = :new) '
    'AND (SELECT COUNT(*) FROM "versions" AS v WHERE v."blob_id" = "blobs"."blob_id") = 1 '
    'AND EXISTS (SELECT 1 FROM "versions" AS v WHERE v."blob_id" = "blobs"."blob_id" '
    'AND v."item_key" = :item)'
)
# Emptied first: SQLite writes an updated row's new overflow pages before it frees the old
# ones, so a one-step update would leave the old pages free and grow the file by as much.
_EMPTY_BLOB = """UPDATE "blobs" SET "content" = x'' WHERE "blob_id" = :blob"""
_REPLACE_BLOB = (
    'UPDATE "blobs" SET "hash" = :new, "size" = :size, "content" = :content WHERE "blob_id" = :blob'
)
_BLOB_CONTENT = 'SELECT "content" FROM "blobs" WHERE "hash" = ?'
_MARK_TELEMETRY = (
    'UPDATE "versions" SET "telemetry_run_id" = :run WHERE "item_key" = :item '
    'AND "blob_id" = (SELECT "blob_id" FROM "blobs" WHERE "hash" = :new)'
)


def _values(columns: Sequence[str], rows: int, one_row: str | None = None) -> str:
    """``(c1, c2) VALUES (?, ?), (?, ?)...`` for a multi-row insert of ``rows`` rows."""
    one_row = one_row or "(" + ", ".join(["?"] * len(columns)) + ")"
    names = ", ".join(quote(c) for c in columns)
    return f"({names}) VALUES {', '.join([one_row] * rows)}"


@functools.lru_cache(maxsize=32)
def _upsert_items_sql(rows: int) -> str:
    """Multi-row upsert of ``rows`` items; re-writing an item clears its gone mark."""
    updates = ", ".join(
        f"{quote(c)} = excluded.{quote(c)}" for c in _ITEM_COLUMNS if c not in _ITEM_KEY
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
    updates = ", ".join(f"{quote(c)} = excluded.{quote(c)}" for c in META_COLUMNS)
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
    meta: tuple[Any, ...]  # values of META_COLUMNS


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


def _stored_core(conn: sqlite3.Connection, content_type: str, digest: str) -> str | None:
    """The stored content ``digest`` hashed without telemetry (None: no such content)."""
    row = conn.execute(_BLOB_CONTENT, (digest,)).fetchone()
    return None if row is None else content_key(content_type, bytes(row[0]), digest)


def _replace_telemetry(conn: sqlite3.Connection, run_id: int, rows: Sequence[_Row]) -> None:
    """Rows whose content is the item's latest but for telemetry overwrite its latest bytes.

    Only items of types with telemetry whose bytes changed are parsed (the new bytes and the
    latest stored ones), so a run of unchanged items parses nothing.
    """
    rows = [row for row in rows if telemetry_fields(row.key[0])]
    if not rows:
        return
    one_row = ", ".join(["(?, ?)"] * len(rows))
    latest = conn.execute(
        _LATEST_SQL.format(rows=one_row), [v for row in rows for v in row.key]
    ).fetchall()
    by_key = {(ct, item_id): (key, digest) for key, ct, item_id, digest in latest}
    for row in rows:
        item_key, old = by_key.get(row.key, (None, None))
        if item_key is None or old == row.blob[0]:
            continue
        new_core = content_key(row.key[0], row.blob[3], row.blob[0])
        if new_core == row.blob[0] or _stored_core(conn, row.key[0], old) != new_core:
            continue
        params = {"new": row.blob[0], "old": old, "item": item_key, "run": run_id}
        params |= {"size": row.blob[1], "content": row.blob[3]}
        found = conn.execute(_REPLACEABLE_BLOB, params).fetchone()
        if found is not None:
            params["blob"] = found[0]
            conn.execute(_EMPTY_BLOB, params)
            conn.execute(_REPLACE_BLOB, params)
            conn.execute(_MARK_TELEMETRY, params)


def _write_items(
    conn: sqlite3.Connection, run_id: int, rows: Sequence[_Row], rows_per_statement: int
) -> None:
    """Store content once, the item's latest state, its version and this run's view of it."""
    for start in range(0, len(rows), rows_per_statement):
        chunk = rows[start : start + rows_per_statement]
        count = len(chunk)
        _replace_telemetry(conn, run_id, chunk)
        conn.execute(_insert_blobs_sql(count), [v for row in chunk for v in row.blob])
        cursor = conn.execute(_upsert_items_sql(count), [v for row in chunk for v in row.item])
        keys = {(ct, item_id): key for key, ct, item_id in cursor.fetchall()}
        params = [v for row in chunk for v in (keys[row.key], row.blob[0], *row.meta)]
        versions = dict(conn.execute(_upsert_versions_sql(count), params).fetchall())
        seen = [v for row in chunk for v in (run_id, keys[row.key], versions[keys[row.key]])]
        conn.execute(_upsert_run_items_sql(count), seen)


def mark_gone(
    conn: sqlite3.Connection, run_id: int, now: str, gone: Iterable[tuple[str, str]]
) -> int:
    """Record that ``run_id`` saw these items gone; returns how many were newly marked."""
    pairs = list(dict.fromkeys(gone))
    conn.executemany(_RUN_SAW_GONE, [(run_id, ct, item_id) for ct, item_id in pairs])
    cursor = conn.executemany(_MARK_GONE, [(run_id, now, ct, item_id) for ct, item_id in pairs])
    return cursor.rowcount


def mark_unseen_gone(
    conn: sqlite3.Connection,
    run_id: int,
    now: str,
    content_type: str,
    spare: Sequence[str] = (),
) -> int:
    """Record that ``run_id`` saw gone every item of the type it did not write but ``spare``."""
    spared = json.dumps(list(spare))
    conn.execute(_RUN_SAW_UNSEEN_GONE, (run_id, content_type, run_id, spared))
    return conn.execute(_MARK_UNSEEN_GONE, (run_id, now, content_type, run_id, spared)).rowcount


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
        mark_gone(conn, run, now, batch.gone)


def _apply_batches(
    conn: sqlite3.Connection,
    batches: Sequence[Batch],
    rows: Sequence[Sequence[_Row]],
    now: str,
    rows_per_statement: int,
) -> None:
    """Each batch's statements in turn, as separate transactions would apply them."""
    for batch, batch_rows in zip(batches, rows, strict=True):
        _apply_batch(conn, batch, batch_rows, now, rows_per_statement)


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
        on_commit: Callable[[], None] | None = None,
    ) -> None:
        """`on_commit`: called after each commit by a vault whose WalCheckpointer copies the WAL."""
        self.path = path
        self._write_lock = write_lock or contextlib.nullcontext()
        self._on_commit = on_commit
        self.retries = 0
        self.batches_written = 0
        self.items_written = 0
        with sqlite_errors(f"cannot open vault at {path}"):
            # Not cached: a cached statement keeps its last bound values, here up to a page of
            # item blobs per multi-row statement and connection.
            conn = connect(path, busy_timeout_ms=busy_timeout_ms, cached_statements=0)
            # Writers append: a small page cache each is enough, and N of them add up.
            conn.execute(f"PRAGMA cache_size = -{WRITER_CACHE_KIB}")
            if on_commit is not None:  # checkpoints are the checkpointer's, this a backstop
                conn.execute(f"PRAGMA wal_autocheckpoint = {WRITER_AUTOCHECKPOINT_PAGES}")
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
        self.write_all((batch,))

    def write_all(self, batches: Sequence[Batch]) -> None:
        """Commit several batches, in order, in one transaction (see `write`).

        A batch of one child costs mostly its commit (the WAL frames of every table it touches):
        one commit for the batches waiting together cuts that per batch.
        """
        batches = [b for b in batches if b.items or b.checkpoints or b.failures or b.gone]
        if not batches:
            return
        if self._conn is None:
            raise VaultError(f"cannot write: vault writer for {self.path} is closed")
        now = utc_now()
        # Serialize and hash before taking the lock, and only once across retries.
        rows = [_unique_rows(_item_row(item, b.run_id, now) for item in b.items) for b in batches]
        work = functools.partial(
            _apply_batches,
            batches=batches,
            rows=rows,
            now=now,
            rows_per_statement=self._rows_per_statement,
        )
        with self._write_lock, sqlite_errors(f"cannot write to vault {self.path}"):
            write_retrying(self._conn, work, on_retry=self._count_retry)
        if self._on_commit is not None:
            self._on_commit()
        self.batches_written += len(batches)
        self.items_written += sum(len(r) for r in rows)

    def _count_retry(self) -> None:
        self.retries += 1

    def close(self) -> None:
        """Close the connection (idempotent)."""
        conn, self._conn = self._conn, None
        if conn is not None:
            with sqlite_errors(f"cannot close vault writer for {self.path}"):
                conn.close()

    def __enter__(self) -> VaultWriter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
