"""The run lock: one `extract` at a time per vault, held as an advisory lock on `<vault>.lock`."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import logging
import os
from pathlib import Path
from types import TracebackType

from lookervault.errors import VaultError

__all__ = ["LOCK_SUFFIX", "RunLock"]

logger = logging.getLogger(__name__)

LOCK_SUFFIX = ".lock"
_LOCK_FILE_MODE = 0o600
_PID_MAX_BYTES = 32  # a decimal pid and a newline, with room to spare


class RunLock:
    """An exclusive, non-blocking `fcntl.flock` on ``<vault>.lock`` for the length of a run.

    The kernel drops the lock when the holder exits, even on SIGKILL, so a crashed run never
    leaves a stale lock behind; the pid written into the file only makes the message helpful.
    SQLite's own locks still protect the data: this lock stops two runs from interleaving
    their bookkeeping (run ids, resume) on one vault.

    Use it as ``with RunLock(vault_path): ...``.

    Raises:
        VaultError: another process holds the lock, or the lock file cannot be created.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.vault = Path(path).absolute()
        self.path = self.vault.with_name(self.vault.name + LOCK_SUFFIX)
        self._fd: int | None = None

    def __repr__(self) -> str:
        state = "held" if self._fd is not None else "free"
        return f"<RunLock {self.path} {state}>"

    @property
    def held(self) -> bool:
        """Whether this object holds the lock now."""
        return self._fd is not None

    def acquire(self) -> None:
        """Take the lock or fail at once (never waits)."""
        if self._fd is not None:
            raise RuntimeError(f"{self!r} is already held")
        fd = self._open()
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            holder = _read_pid(fd)
            os.close(fd)
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                who = f" (pid {holder})" if holder else ""
                raise VaultError(f"another lookervault run is using {self.vault}{who}") from None
            raise VaultError(f"cannot lock {self.path}: {exc.strerror}") from exc
        _write_pid(fd)
        self._fd = fd
        logger.debug("run lock %s taken", self.path)

    def release(self) -> None:
        """Drop the lock (idempotent). The file stays: deleting it would race another run."""
        fd, self._fd = self._fd, None
        if fd is None:
            return
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
        os.close(fd)  # closing the descriptor releases the flock
        logger.debug("run lock %s released", self.path)

    def _open(self) -> int:
        try:
            return os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, _LOCK_FILE_MODE)
        except OSError as exc:
            raise VaultError(f"cannot create the run lock {self.path}: {exc.strerror}") from exc

    def __enter__(self) -> RunLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()


def _read_pid(fd: int) -> int | None:
    try:
        text = os.pread(fd, _PID_MAX_BYTES, 0).decode("ascii", "replace").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def _write_pid(fd: int) -> None:
    # Best effort: the pid only improves the message a second run prints.
    with contextlib.suppress(OSError):
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
