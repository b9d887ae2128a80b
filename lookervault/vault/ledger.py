"""The ids Looker listed during a run, kept in a private temporary SQLite file instead of memory.

Reconciliation compares what the id listings returned (before and after paging) with what the
run stored. At 5 x M that is 100,000 ids per listing of dashboards and of looks: as Python sets,
several of about 10 MB each were alive at once, most of the memory that grew with the instance
(benchmark S5). Here they go to disk a page at a time, and the comparison is two SQL set
differences against the vault, attached read-only.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Generator, Iterable
from pathlib import Path

from lookervault.errors import VaultError

__all__ = ["AFTER", "BEFORE", "RECHECK", "ListedIds"]

BEFORE = "before"  # the listing made while the pages are fetched
AFTER = "after"  # the listing made once every page is stored
RECHECK = "recheck"  # a fresh listing for items that answered 404 though still listed

_SCHEMA = """CREATE TABLE "listed" (
    "content_type" TEXT NOT NULL,
    "phase" TEXT NOT NULL,
    "item_id" TEXT NOT NULL,
    PRIMARY KEY ("content_type", "phase", "item_id")
) WITHOUT ROWID"""
_INSERT = 'INSERT OR IGNORE INTO "listed" VALUES (?, ?, ?)'
_COUNT = 'SELECT COUNT(DISTINCT "item_id") FROM "listed" WHERE "content_type" = ?'
_STORED = (
    'SELECT "item_id" FROM "vault"."items" '
    'WHERE "content_type" = ?1 AND "run_id" = ?2 AND "gone_run_id" IS NULL'
)
_MISSING = f'SELECT "item_id" FROM "listed" WHERE "content_type" = ?1 EXCEPT {_STORED}'
_VANISHED = (
    f'{_STORED} EXCEPT SELECT "item_id" FROM "listed" WHERE "content_type" = ?1 AND "phase" = ?3'
)
_FORGET = 'DELETE FROM "listed" WHERE "content_type" = ?'


class ListedIds:
    """Listed ids per content type and phase; `compare` says what a run missed and what vanished.

    Thread-safe: the pipeline calls it from worker threads, one call at a time per lock.
    """

    def __init__(self, vault_path: str | Path) -> None:
        self._lock = threading.Lock()
        # An empty file name: SQLite's private temporary database, on disk, deleted on close.
        self._conn = sqlite3.connect("file:", uri=True, check_same_thread=False)
        try:
            self._conn.execute(_SCHEMA)
            vault_uri = Path(vault_path).resolve().as_uri() + "?mode=ro"
            self._conn.execute('ATTACH DATABASE ? AS "vault"', (vault_uri,))
        except sqlite3.Error as exc:
            self._conn.close()
            raise VaultError(f"cannot open a scratch file for listed ids: {exc}") from exc

    def add(self, content_type: str, phase: str, item_ids: Iterable[str]) -> None:
        """Record ids one listing page returned (duplicates collapse)."""
        rows = [(content_type, phase, item_id) for item_id in item_ids]
        with self._using("record listed ids") as conn, conn:
            conn.executemany(_INSERT, rows)

    def count(self, content_type: str) -> int:
        """Distinct ids listed for `content_type` so far, in any phase."""
        with self._using("count listed ids") as conn:
            return int(conn.execute(_COUNT, (content_type,)).fetchone()[0])

    def listed_in(self, content_type: str, phase: str, item_ids: Iterable[str]) -> set[str]:
        """Which of `item_ids` the `phase` listing of `content_type` returned."""
        wanted = list(item_ids)
        found: set[str] = set()
        sql = 'SELECT 1 FROM "listed" WHERE "content_type" = ? AND "phase" = ? AND "item_id" = ?'
        with self._using("look up listed ids") as conn:
            for item_id in wanted:
                if conn.execute(sql, (content_type, phase, item_id)).fetchone():
                    found.add(item_id)
        return found

    def compare(self, content_type: str, run_id: int) -> tuple[list[str], list[str]]:
        """(listed but not stored by `run_id`, stored by `run_id` but not in the AFTER listing)."""
        params = (content_type, run_id, AFTER)
        with self._using("compare listed ids with the vault") as conn:
            missing = [i for (i,) in conn.execute(_MISSING, params[:2])]
            vanished = [i for (i,) in conn.execute(_VANISHED, params)]
        return missing, vanished

    def forget(self, content_type: str) -> None:
        """Drop the ids of a type once it is reconciled."""
        with self._using("drop listed ids") as conn, conn:
            conn.execute(_FORGET, (content_type,))

    @contextlib.contextmanager
    def _using(self, action: str) -> Generator[sqlite3.Connection]:
        """The connection, one caller at a time; SQLite errors (a full disk...) as VaultError."""
        with self._lock:
            try:
                yield self._conn
            except sqlite3.Error as exc:
                raise VaultError(f"cannot {action} in the scratch file: {exc}") from exc

    def close(self) -> None:
        """Close the scratch database (SQLite deletes its file)."""
        with self._lock:
            self._conn.close()

    def __enter__(self) -> ListedIds:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
