"""Copy the vault's WAL into the vault file on a thread of its own, so writers never stop for it.

In WAL mode every commit appends to the `-wal` file; a checkpoint copies those pages into the
vault file and syncs both. By default the connection whose commit takes the WAL past 1,000
pages (4 MB) runs that checkpoint inside its commit, while holding the write lock that every
writer queues for: backing up 165 MB of dashboards and users spent about a third of the
writers' time there (benchmark S1, README "Performance"). SQLite lets a checkpoint run beside
writers, so the writers leave it (but for a far larger backstop) to this thread, which copies
what the commits since its last pass appended. Durability is unchanged: commits are as synced
as before (synchronous NORMAL), and whatever is still in the WAL when the vault closes is
checkpointed by the last connection to close, as SQLite always does.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from pathlib import Path

from lookervault.vault.connection import connect

__all__ = ["WRITER_AUTOCHECKPOINT_PAGES", "WalCheckpointer"]

logger = logging.getLogger(__name__)

# A writer still checkpoints by itself past this many WAL pages (128 MB of 4 KiB pages), so the
# WAL stays bounded should this thread fall behind.
WRITER_AUTOCHECKPOINT_PAGES = 32_768
_PAUSE_S = 0.25  # between two passes: each pass syncs both files once, so not after every commit
_BUSY_TIMEOUT_MS = 1_000


class WalCheckpointer:
    """A daemon thread that checkpoints (PASSIVE) after commits, at most once per pause.

    `nudge` after a commit; `close` stops the thread (idempotent). A failed pass is logged at
    debug level and retried at the next nudge: the writers' backstop bounds the WAL meanwhile.
    """

    def __init__(self, path: Path, *, pause_s: float = _PAUSE_S) -> None:
        self.path = path
        self.passes = 0
        self._pause_s = pause_s
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="vault-checkpointer", daemon=True)
        self._thread.start()

    def nudge(self) -> None:
        """A commit appended to the WAL: copy it at the next pass."""
        self._wake.set()

    def close(self) -> None:
        """Stop the thread once its current pass ends."""
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join()

    def _run(self) -> None:
        try:
            conn = connect(self.path, busy_timeout_ms=_BUSY_TIMEOUT_MS)
        except sqlite3.Error as exc:
            logger.debug("vault checkpointer not started: %s", exc)
            return
        try:
            while True:
                self._wake.wait()
                if self._stop.is_set():
                    return
                self._wake.clear()
                self._checkpoint(conn)
                if self._stop.wait(self._pause_s):
                    return
        finally:
            conn.close()

    def _checkpoint(self, conn: sqlite3.Connection) -> None:
        try:
            conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
            self.passes += 1
        except sqlite3.Error as exc:  # another checkpoint ran, or the disk failed: next nudge
            logger.debug("vault checkpoint skipped: %s", exc)
