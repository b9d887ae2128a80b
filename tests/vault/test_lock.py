"""The run lock: one extract per vault, a clear message naming the holder, gone with its process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from lookervault.errors import ExitCode, VaultError
from lookervault.vault.lock import RunLock

# Holds the lock on argv[1] until stdin closes (or the process is killed).
_HOLDER = """
import sys
from lookervault.vault.lock import RunLock
with RunLock(sys.argv[1]):
    print("held", flush=True)
    sys.stdin.read()
"""


def test_lock_file_sits_beside_the_vault_and_is_private(tmp_path: Path) -> None:
    """The lock is `<vault>.lock`, created 0600, and records the holder's pid."""
    db = tmp_path / "v.db"
    with RunLock(db) as lock:
        assert lock.held and lock.path == tmp_path / "v.db.lock"
        assert lock.path.stat().st_mode & 0o777 == 0o600
        assert lock.path.read_text().strip() == str(os.getpid())
    assert not lock.held


def test_second_holder_refused_with_the_first_pid(tmp_path: Path) -> None:
    """While one RunLock holds the vault another fails at once with a VaultError (exit 2)."""
    db = tmp_path / "v.db"
    with RunLock(db), pytest.raises(VaultError) as info:
        RunLock(db).acquire()
    assert str(info.value) == f"another lookervault run is using {db} (pid {os.getpid()})"
    assert info.value.exit_code == ExitCode.USAGE


def test_released_lock_can_be_taken_again(tmp_path: Path) -> None:
    """After release (or an exception inside the block) the next run gets the lock."""
    db = tmp_path / "v.db"
    with pytest.raises(RuntimeError), RunLock(db):
        raise RuntimeError("boom")
    with RunLock(db) as again:
        assert again.held
    again.release()  # idempotent


def test_reentering_the_same_object_is_a_bug(tmp_path: Path) -> None:
    """Acquiring a lock object twice is a programming error, not a second run."""
    with RunLock(tmp_path / "v.db") as lock, pytest.raises(RuntimeError, match="already held"):
        lock.acquire()


def test_other_process_blocks_then_its_death_frees_the_lock(tmp_path: Path) -> None:
    """A lock held by another process refuses us; SIGKILL of that process frees it (no stale lock)."""
    db = tmp_path / "v.db"
    with subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(db)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    ) as holder:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(VaultError, match=rf"\(pid {holder.pid}\)"):
            RunLock(db).acquire()
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    with RunLock(db) as lock:
        assert lock.held


def test_unwritable_place_is_a_vault_error(tmp_path: Path) -> None:
    """A lock that cannot be created (missing directory) is a VaultError, not an OSError."""
    with pytest.raises(VaultError, match="cannot create the run lock"):
        RunLock(tmp_path / "missing" / "v.db").acquire()
