"""Tests for vault connections: private files, path checks, closed vaults, busy retries."""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from pathlib import Path

import pytest
import stamina

from lookervault.errors import VaultError
from lookervault.vault.records import Batch
from lookervault.vault.store import Vault
from lookervault.vault.writer import VaultWriter
from tests.vault.support import file_mode, make_item, write_batch

LOCK_HOLD_S = 0.5
LOCK_HOLD_DEADLINE_S = 30.0


# --- file and path -------------------------------------------------------------------------------


def test_file_created_private(run_id: int, vault: Vault) -> None:
    """The vault and its -wal and -shm files are created with mode 0600."""
    write_batch(vault, Batch(run_id, items=(make_item("1"),)))
    assert file_mode(vault.path) == 0o600
    for suffix in ("-wal", "-shm"):
        companion = vault.path.with_name(vault.path.name + suffix)
        assert companion.exists()
        assert file_mode(companion) == 0o600


def test_private_despite_permissive_umask(tmp_path: Path) -> None:
    """The mode is 0600 whatever the umask."""
    old = os.umask(0)
    try:
        with Vault(tmp_path / "v.db") as opened:
            assert file_mode(opened.path) == 0o600
    finally:
        os.umask(old)


def test_missing_directory(tmp_path: Path) -> None:
    """A path in a missing directory is refused, by check_path and by Vault."""
    path = tmp_path / "missing" / "v.db"
    with pytest.raises(VaultError, match="cannot create vault at .*does not exist"):
        Vault.check_path(path)
    with pytest.raises(VaultError, match="cannot create vault at"):
        Vault(path)
    assert not path.parent.exists()


def test_path_under_regular_file(tmp_path: Path) -> None:
    """A path whose parent is a regular file is refused (even for root)."""
    parent = tmp_path / "file"
    parent.write_text("x")
    with pytest.raises(VaultError, match="is not a directory"):
        Vault.check_path(parent / "v.db")
    with pytest.raises(VaultError, match="cannot create vault at"):
        Vault(parent / "v.db")


def test_read_only_directory(tmp_path: Path) -> None:
    """A path in a read-only directory is refused."""
    directory = tmp_path / "ro"
    directory.mkdir()
    directory.chmod(0o500)
    try:
        if os.access(directory, os.W_OK):
            pytest.skip("running as root: a read-only directory is still writable")
        with pytest.raises(VaultError, match="read-only"):
            Vault.check_path(directory / "v.db")
        with pytest.raises(VaultError, match="cannot create vault at"):
            Vault(directory / "v.db")
    finally:
        directory.chmod(0o700)


def test_check_path_creates_nothing(tmp_path: Path) -> None:
    """check_path accepts a fresh path without creating the file."""
    Vault.check_path(tmp_path / "v.db")
    assert not (tmp_path / "v.db").exists()


def test_not_a_sqlite_file(tmp_path: Path) -> None:
    """An existing file that is not SQLite is refused, not overwritten."""
    path = tmp_path / "notes.txt"
    path.write_text("my notes, not a database\n")
    with pytest.raises(VaultError, match="not a SQLite database"):
        Vault(path)
    assert path.read_text() == "my notes, not a database\n"


def test_closed_vault(tmp_path: Path) -> None:
    """Using a closed vault or writer raises VaultError, never a raw sqlite3 error."""
    opened = Vault(tmp_path / "v.db")
    writer = opened.writer()
    opened.close()
    opened.close()
    writer.close()
    with pytest.raises(VaultError, match="closed"):
        opened.counts()
    with pytest.raises(VaultError, match="closed"):
        writer.write(Batch(1, items=(make_item("1"),)))


# --- busy retries and concurrent writers ---------------------------------------------------------


def _write_batches(writer: VaultWriter, run_id: int, prefix: str, batches: int, size: int) -> None:
    for number in range(batches):
        items = tuple(make_item(f"{prefix}-{number}-{n}") for n in range(size))
        writer.write(
            Batch(run_id, items=items, checkpoints=(("dashboards", f"{prefix}:{number}"),))
        )


def _run_writers_with(
    writers: list[VaultWriter], run_id: int, batches: int, size: int
) -> list[BaseException]:
    errors: list[BaseException] = []

    def work(index: int) -> None:
        try:
            with writers[index]:
                _write_batches(writers[index], run_id, f"w{index}", batches, size)
        except BaseException as exc:  # surfaced in the main thread by the caller
            errors.append(exc)

    workers = [threading.Thread(target=work, args=(i,)) for i in range(len(writers))]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return errors


def test_busy_retries_lose_nothing(vault: Vault, run_id: int) -> None:
    """Writers blocked by another connection's write lock retry and lose no item."""
    stamina.set_testing(False)  # real, jittered backoff: the lock outlives the busy timeout
    writers = [vault.writer() for _ in range(4)]
    locked = threading.Event()

    def hold_lock() -> None:
        conn = sqlite3.connect(vault.path, isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        locked.set()
        time.sleep(LOCK_HOLD_S)
        # On a loaded machine the writers may start late: hold on until one has retried.
        deadline = time.monotonic() + LOCK_HOLD_DEADLINE_S
        while not any(w.retries for w in writers) and time.monotonic() < deadline:
            time.sleep(0.01)
        conn.execute("COMMIT")
        conn.close()

    holder = threading.Thread(target=hold_lock)
    holder.start()
    locked.wait()
    errors = _run_writers_with(writers, run_id, batches=50, size=5)
    holder.join()
    assert errors == []
    assert vault.counts() == {"dashboards": 4 * 50 * 5}
    assert len(vault.checkpoints(run_id, "dashboards")) == 4 * 50
    assert sum(writer.retries for writer in writers) > 0


def test_exhausted_retries_raise_vault_error(vault: Vault, run_id: int) -> None:
    """A lock held past the retry budget surfaces as VaultError, not sqlite3's error."""
    conn = sqlite3.connect(vault.path, isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    try:
        with vault.writer(busy_timeout_ms=1) as writer:
            with pytest.raises(VaultError, match="locked"):
                writer.write(Batch(run_id, items=(make_item("1"),)))
            assert writer.retries == 2  # test mode: 3 attempts
    finally:
        conn.execute("ROLLBACK")
        conn.close()
    assert vault.counts() == {}


@pytest.mark.parametrize("share_lock", [True, False], ids=["shared-lock", "stamina-only"])
def test_many_writers_exact_count(vault: Vault, run_id: int, share_lock: bool) -> None:
    """Eight writer threads of 100 batches of 50 items end with the exact item count."""
    if not share_lock:
        stamina.set_testing(False)  # threads contend in SQLite: use the real retry budget
    writers = [vault.writer(share_lock=share_lock) for _ in range(8)]
    assert _run_writers_with(writers, run_id, batches=100, size=50) == []
    assert vault.counts() == {"dashboards": 8 * 100 * 50}
    assert sum(writer.batches_written for writer in writers) == 800
    assert sum(writer.items_written for writer in writers) == 40_000
    if share_lock:
        assert sum(writer.retries for writer in writers) == 0
