"""Connections to the vault file: open, WAL, one transaction helper, busy retries, VaultError."""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
from collections.abc import Callable, Generator
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

from lookervault.errors import VaultError

__all__ = [
    "BUSY_RETRY_ATTEMPTS",
    "BUSY_RETRY_TIMEOUT_S",
    "CONTROL_BUSY_TIMEOUT_MS",
    "WRITER_BUSY_TIMEOUT_MS",
    "WRITER_CACHE_KIB",
    "check_existing",
    "connect",
    "create_private_file",
    "enable_wal",
    "quote",
    "sqlite_errors",
    "transaction",
    "utc_now",
    "write_retrying",
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

_SQLITE_HEADER = b"SQLite format 3\x00"


def quote(name: str) -> str:
    """Quote an SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def utc_now() -> str:
    """Now, as the ISO 8601 UTC text the vault stores."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")


@contextlib.contextmanager
def sqlite_errors(context: str) -> Generator[None]:
    """The package boundary: no raw sqlite3 error leaves vault/."""
    try:
        yield
    except sqlite3.Error as exc:
        raise VaultError(f"{context}: {exc}") from exc


def connect(
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
def transaction(conn: sqlite3.Connection) -> Generator[None]:
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


def write_retrying(
    conn: sqlite3.Connection,
    work: Callable[[sqlite3.Connection], _T],
    on_retry: Callable[[], None] | None = None,
) -> _T:
    """Run ``work`` in one write transaction, retrying the whole of it while SQLite is busy."""
    import stamina  # here, not at the top: reading commands never write and start faster

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
            with transaction(conn):
                return work(conn)
    raise AssertionError("unreachable: stamina re-raises the last error")  # pragma: no cover


def enable_wal(conn: sqlite3.Connection, path: Path) -> None:
    """Switch the vault to WAL (logged, not fatal, where the file system cannot)."""
    # journal_mode cannot change inside a transaction; the connection is in autocommit.
    (mode,) = conn.execute("PRAGMA journal_mode = WAL").fetchone()
    if str(mode).lower() != "wal":
        logger.warning("vault %s cannot use WAL (journal mode %s)", path, mode)


def create_private_file(path: Path) -> None:
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


def check_existing(path: Path) -> None:
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
