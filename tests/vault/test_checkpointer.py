"""The WAL checkpointer: writers leave checkpoints to its thread, and nothing written is lost."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import orjson

from lookervault.vault.checkpointer import WRITER_AUTOCHECKPOINT_PAGES, WalCheckpointer
from lookervault.vault.records import Batch
from lookervault.vault.store import Vault
from tests.vault.support import make_item

_WAIT_S = 30.0  # an upper bound for a background pass on a loaded machine, never a timing check


def _checkpointer_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "vault-checkpointer"]


def _wait_for(condition) -> bool:
    deadline = time.monotonic() + _WAIT_S
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def _big_items(start: int, count: int) -> tuple:
    return tuple(make_item(str(n), blob="x" * 20_000, n=n) for n in range(start, start + count))


def test_writers_leave_checkpoints_to_the_thread(vault: Vault, run_id: int) -> None:
    """A writer's own autocheckpoint is only a far backstop; the thread copies the WAL in."""
    with vault.writer() as writer:
        (pages,) = writer._conn.execute("PRAGMA wal_autocheckpoint").fetchone()  # type: ignore[union-attr]
        assert pages == WRITER_AUTOCHECKPOINT_PAGES
        for start in range(0, 200, 50):  # 4 MB: past SQLite's default autocheckpoint
            writer.write(Batch(run_id, items=_big_items(start, 50)))
        checkpointer = vault._checkpointer
        assert checkpointer is not None
        # The commits were copied into the vault file itself while the writer stayed open.
        assert _wait_for(lambda: vault.path.stat().st_size > 200 * 20_000)
        assert checkpointer.passes >= 1


def test_everything_written_is_in_the_vault_after_close(tmp_path: Path) -> None:
    """Items from several writers all read back, byte for byte, once the vault is closed."""
    path = tmp_path / "vault.db"
    with Vault(path) as vault:
        run = vault.start_run(
            options={}, looker_url="x", looker_release=None, api_version=None, tool_version="0"
        )
        writers = [vault.writer() for _ in range(3)]
        for n, writer in enumerate(writers):
            writer.write(Batch(run, items=_big_items(n * 40, 40)))
        for writer in writers:
            writer.close()
    assert not _checkpointer_threads()
    assert not Path(f"{path}-wal").exists()  # the last connection checkpointed what was left
    with Vault(path) as reopened:
        items = {i: orjson.loads(content) for _, i, content in reopened.iter_items()}
    assert sorted(items, key=int) == [str(n) for n in range(120)]
    assert all(items[str(n)] == {"id": str(n), "blob": "x" * 20_000, "n": n} for n in range(120))


def test_a_checkpointer_that_cannot_open_the_vault_stops_quietly(tmp_path: Path) -> None:
    """No vault file: the thread ends at once, and nudge and close still work."""
    checkpointer = WalCheckpointer(tmp_path / "missing.db")
    checkpointer.nudge()
    checkpointer.close()
    assert checkpointer.passes == 0
    assert not (tmp_path / "missing.db").exists()


def test_each_nudge_after_a_pass_brings_another(tmp_path: Path) -> None:
    """Nudges wake the thread again after its pause; the vault stays whole and readable."""
    path = tmp_path / "vault.db"
    with Vault(path):
        pass
    checkpointer = WalCheckpointer(path, pause_s=0.0)
    try:
        checkpointer.nudge()
        assert _wait_for(lambda: checkpointer.passes >= 1)
        checkpointer.nudge()
        assert _wait_for(lambda: checkpointer.passes >= 2)
        with sqlite3.connect(path) as conn:
            assert conn.execute('SELECT COUNT(*) FROM "items"').fetchone() == (0,)
    finally:
        checkpointer.close()
    assert not _checkpointer_threads()
