"""Contention on the vault: other processes reading or holding the write lock during a run."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import stamina

from lookervault.mock.app import MockLooker, MockOptions
from lookervault.mock.server import serve_in_thread
from lookervault.vault.store import Vault
from tests.chaos.conftest import TALLY
from tests.chaos.support import child_env, cli_command, run_cli, run_started, set_connection_env
from tests.support import assert_vault_equals

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("keep_logging")]

_OPTIONS = MockOptions(preset="tiny", seed=31, latency_ms=15, latency_jitter_ms=5)
_EXTRACT = ("extract", "--quiet", "--page-size", "3", "--concurrency", "4", "--workers", "4")
_START_TIMEOUT_S = 60.0
_POLL_S = 0.02
_HOLD_S = 2.0  # longer than a writer's SQLite busy timeout, so stamina's retries must cover it

# A second process that keeps a read transaction open until its stdin closes.
_READER = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN")
conn.execute("SELECT count(*) FROM items").fetchone()
print("reading", flush=True)
sys.stdin.read()
conn.execute("COMMIT")
conn.close()
"""

# A second process that waits for the run to start, then takes the write lock for a while.
_LOCKER = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)
while conn.execute("SELECT count(*) FROM runs").fetchone()[0] == 0:
    time.sleep(0.01)
conn.execute("BEGIN IMMEDIATE")
time.sleep(float(sys.argv[2]))
conn.execute("COMMIT")
conn.close()
print("held", flush=True)
"""


@pytest.fixture
def real_retries() -> Iterator[None]:
    """Stamina's real backoff: the writers must outwait the other process's lock."""
    stamina.set_testing(False)
    yield


@pytest.fixture
def mock_url(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[MockLooker, str]]:
    """A slowish tiny mock on loopback, with the CLI's environment pointing at it."""
    mock = MockLooker(_OPTIONS)
    with serve_in_thread(mock) as url:
        set_connection_env(monkeypatch, url)
        yield mock, url


def _python(code: str, *args: str) -> list[str]:
    return [sys.executable, "-c", code, *args]


def test_long_read_transaction_elsewhere_loses_nothing(
    mock_url, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A reader holding a snapshot for the whole run neither blocks nor loses a write."""
    mock, _ = mock_url
    db = tmp_path / "v.db"
    Vault(db).close()
    with subprocess.Popen(
        _python(_READER, str(db)), stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    ) as reader:
        assert reader.stdout is not None and reader.stdout.readline().strip() == "reading"
        done = run_cli(capsys, *_EXTRACT, "--db", str(db))
        reader.communicate("")
    assert done.code == 0, done.err
    assert reader.returncode == 0
    assert_vault_equals(db, mock.ground_truth_hashes())
    TALLY["contention trials"] += 1


@pytest.mark.usefixtures("real_retries")
def test_write_lock_held_elsewhere_is_waited_out(
    mock_url, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Another process holding the write lock mid-run: writers retry SQLITE_BUSY, lose nothing."""
    mock, _ = mock_url
    db = tmp_path / "v.db"
    Vault(db).close()
    with subprocess.Popen(
        _python(_LOCKER, str(db), str(_HOLD_S)), stdout=subprocess.PIPE, text=True
    ) as locker:
        done = run_cli(capsys, *_EXTRACT, "--db", str(db))
        out, _ = locker.communicate(timeout=60)
    assert locker.returncode == 0 and out.strip() == "held"
    assert done.code == 0, done.err
    assert_vault_equals(db, mock.ground_truth_hashes())
    TALLY["contention trials"] += 1


def test_second_extract_on_the_same_vault_refuses(
    mock_url, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """While one extract runs, a second one on the same vault exits 2 naming the first's pid."""
    _, url = mock_url
    db = tmp_path / "v.db"
    first = subprocess.Popen(
        cli_command(*_EXTRACT, "--db", str(db)),
        env=child_env(url),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        # Once the first run has recorded itself, it holds the lock (taken before the vault opens).
        deadline = time.monotonic() + _START_TIMEOUT_S
        while not run_started(db) and first.poll() is None and time.monotonic() < deadline:
            time.sleep(_POLL_S)
        done = run_cli(capsys, *_EXTRACT, "--db", str(db))
    finally:
        first.wait(timeout=120)
    assert done.code == 2
    assert f"another lookervault run is using {db}" in done.err
    assert f"(pid {first.pid})" in done.err
