"""The vault: one SQLite file holding a lossless, resumable backup of a Looker instance."""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import threading
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

from lookervault import jsonio
from lookervault.errors import VaultError
from lookervault.vault.checkpointer import WalCheckpointer
from lookervault.vault.connection import (
    CONTROL_BUSY_TIMEOUT_MS,
    WRITER_BUSY_TIMEOUT_MS,
    check_existing,
    connect,
    create_private_file,
    enable_wal,
    sqlite_errors,
    utc_now,
    write_retrying,
)
from lookervault.vault.queries import RunRecord, VaultQueries
from lookervault.vault.records import Failure
from lookervault.vault.schema import check_schema, migrate
from lookervault.vault.writer import VaultWriter, mark_gone, mark_unseen_gone

__all__ = ["RUN_STATUSES", "Vault", "VaultWriter"]

logger = logging.getLogger(__name__)

_T = TypeVar("_T")

RUN_STATUSES = frozenset({"running", "interrupted", "partial", "failed", "complete", "abandoned"})
# Statuses of runs `--resume` no longer continues: finished, or left behind by a newer run.
_SETTLED = ("complete", "abandoned")

_SECRET_MARKERS = ("secret", "token", "password", "credential")
_REDACTED = "<redacted>"

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
_ABANDON = (
    'UPDATE "runs" SET "status" = \'abandoned\' WHERE "run_id" = ? '
    "AND \"status\" NOT IN ('complete', 'abandoned')"
)


def _present_items(content_type: str, run_id: int | None) -> tuple[str, tuple[Any, ...]]:
    """WHERE clause and parameters for items present, optionally only those `run_id` wrote."""
    if run_id is None:
        return '"content_type" = ? AND "gone_run_id" IS NULL', (content_type,)
    return '"content_type" = ? AND "gone_run_id" IS NULL AND "run_id" = ?', (content_type, run_id)


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
        create_private_file(self.path)
        self._lock = threading.RLock()
        # Writers of this vault take turns in-process (see `writer`).
        self._write_lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        self._checkpointer: WalCheckpointer | None = None  # started with the first writer
        with sqlite_errors(f"cannot open vault at {self.path}"):
            conn = connect(self.path, busy_timeout_ms=CONTROL_BUSY_TIMEOUT_MS)
            try:
                enable_wal(conn, self.path)
                check_schema(conn, self.path)
                self.applied_migrations = migrate(conn)
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
            check_existing(target)

    @property
    def queries(self) -> VaultQueries:
        """Typed read queries (runs, snapshots, items, diffs, checks) on the control connection."""
        return VaultQueries(self._using)

    @contextlib.contextmanager
    def _using(self, action: str) -> Generator[sqlite3.Connection]:
        """Lock the control connection and translate sqlite3 errors for ``action``."""
        with self._lock:
            if self._conn is None:
                raise VaultError(f"cannot {action}: vault {self.path} is closed")
            with sqlite_errors(f"cannot {action} in vault {self.path}"):
                yield self._conn

    def _write(self, action: str, work: Callable[[sqlite3.Connection], _T]) -> _T:
        with self._using(action) as conn, self._write_lock:
            return write_retrying(conn, work)

    def start_run(
        self,
        *,
        options: dict,
        looker_url: str,
        looker_release: str | None,
        api_version: str | None,
        tool_version: str,
        abandon: int | None = None,
    ) -> int:
        """Record a new run with status "running" and return its id.

        ``abandon``: an unfinished run to mark "abandoned" in the same transaction, so
        `--resume` no longer picks it.
        """
        row = (
            utc_now(),
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

        def work(conn: sqlite3.Connection) -> int | None:
            if abandon is not None:
                conn.execute(_ABANDON, (abandon,))
            return conn.execute(sql, row).lastrowid

        run_id = self._write("start a run", work)
        logger.info("started run %s", run_id)
        return int(run_id or 0)

    def resumable_run(self) -> int | None:
        """The latest run if it did not complete and was not abandoned (a later run supersedes)."""
        with self._using("find a resumable run") as conn:
            row = conn.execute(
                'SELECT "run_id", "status" FROM "runs" ORDER BY "run_id" DESC LIMIT 1'
            ).fetchone()
        if row is None or row[1] in _SETTLED:
            return None
        return int(row[0])

    def record_access(self, run_id: int, access: str) -> None:
        """Record the run's access ('admin' or 'limited'); once limited, a run stays limited."""
        sql = (
            'UPDATE "runs" SET "access" = CASE WHEN "access" = \'limited\' THEN \'limited\' '
            'ELSE ? END WHERE "run_id" = ?'
        )
        self._write("record the run's access", lambda conn: conn.execute(sql, (access, run_id)))

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
        now = utc_now()
        pairs = [(content_type, item_id) for item_id in item_ids]
        if not pairs:
            return 0
        return self._write("record gone items", lambda c: mark_gone(c, run_id, now, pairs))

    def unseen_ids(self, run_id: int, content_type: str) -> list[str]:
        """Ids of the type's items not gone that ``run_id`` has not written (yet)."""
        sql = (
            'SELECT "item_id" FROM "items" '
            'WHERE "content_type" = ? AND "run_id" <> ? AND "gone_run_id" IS NULL'
        )
        with self._using("read unseen items") as conn:
            return [item_id for (item_id,) in conn.execute(sql, (content_type, run_id))]

    def mark_unseen_gone(self, run_id: int, content_type: str, spare: Sequence[str] = ()) -> int:
        """Mark gone every item of ``content_type`` that ``run_id`` did not write, but ``spare``.

        Call it only once ``run_id`` has listed that type completely: otherwise items it
        merely failed to fetch would be marked gone. ``spare``: ids listed but not served.
        """
        now = utc_now()
        count = self._write(
            "mark unseen items gone",
            lambda c: mark_unseen_gone(c, run_id, now, content_type, spare),
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

    def looker_urls(self) -> list[str]:
        """The distinct Looker base URLs this vault's runs were extracted from, oldest first."""
        return self.queries.looker_urls()

    def last_finished_run(self, looker_url: str) -> RunRecord | None:
        """The latest run against the Looker at *looker_url* that finished, or None."""
        return self.queries.last_finished_run(_strip_userinfo(looker_url))

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

        def finish(conn: sqlite3.Connection) -> int:
            row = conn.execute(
                'SELECT "stats" FROM "runs" WHERE "run_id" = ?', (run_id,)
            ).fetchone()
            total = dict(stats)
            if "elapsed_s" in stats:  # a pipeline session's own time: add it to the earlier ones
                total["running_s"] = _running_s(row[0] if row else None, stats)
            total.update(_requests_summed(row[0] if row else None, stats))
            params = (status, utc_now(), _dumps(counts), _dumps(total), run_id)
            return conn.execute(sql, params).rowcount

        if not self._write("finish a run", finish):
            raise VaultError(f"cannot finish run {run_id}: no such run in {self.path}")
        logger.info("run %s finished: %s", run_id, status)

    def runs(self) -> list[RunRecord]:
        """Every run, oldest first, with options, counts and stats decoded."""
        return self.queries.runs()

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
            with sqlite_errors(f"cannot read items in vault {self.path}"):
                yield from cursor
        finally:
            cursor.close()

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
            if self._checkpointer is None:
                self._checkpointer = WalCheckpointer(self.path)
            return VaultWriter(
                self.path,
                busy_timeout_ms=busy_timeout_ms,
                rows_per_statement=rows_per_statement,
                write_lock=self._write_lock if share_lock else None,
                on_commit=self._checkpointer.nudge,
            )

    def close(self) -> None:
        """Close the control connection (idempotent)."""
        with self._lock:
            conn, self._conn = self._conn, None
            checkpointer, self._checkpointer = self._checkpointer, None
        if checkpointer is not None:
            checkpointer.close()
        if conn is None:
            return
        with sqlite_errors(f"cannot close vault {self.path}"):
            try:
                conn.execute("PRAGMA optimize")  # keeps the query planner's statistics fresh
            finally:
                conn.close()

    def __enter__(self) -> Vault:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _running_s(previous_stats: str | None, stats: dict) -> float:
    """Seconds a run spent running over all its sessions: earlier sessions' sum plus this one's.

    Each session records its own `elapsed_s`; a resume keeps the earlier sessions' `running_s`
    (or, from vaults of earlier releases, their last `elapsed_s`), so the idle gap between
    sessions is never counted. A session killed before it finished adds nothing.
    """
    earlier = jsonio.loads(previous_stats) if previous_stats else {}
    before = (
        earlier.get("running_s", earlier.get("elapsed_s", 0)) if isinstance(earlier, dict) else 0
    )
    now = stats.get("elapsed_s", 0)
    numbers = [
        v if isinstance(v, int | float) and not isinstance(v, bool) else 0 for v in (before, now)
    ]
    return round(float(sum(numbers)), 3)


def _requests_summed(previous_stats: str | None, stats: dict) -> dict[str, int]:
    """Request counts (`requests`, `requests:<type>`) of every session of a resumed run, summed."""
    try:
        previous = jsonio.loads(previous_stats) if previous_stats else {}
    except ValueError:
        previous = {}
    if not isinstance(previous, dict) or not previous.get("requests"):
        return {}
    names = {n for n in (*stats, *previous) if n == "requests" or n.startswith("requests:")}
    return {
        n: int(stats.get(n, 0)) + int(previous.get(n, 0))
        for n in names
        if isinstance(stats.get(n, 0), int) and isinstance(previous.get(n, 0), int)
    }
