"""Helpers of the chaos suite: run the CLI in process or as a child, read a vault raw."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from lookervault.cli.app import main
from lookervault.mock.app import MockOptions

__all__ = [
    "CREDENTIALS",
    "Outcome",
    "child_env",
    "cli_command",
    "committed_items",
    "export_bytes",
    "failures_of_last_run",
    "integrity",
    "run_child",
    "run_cli",
    "run_started",
    "set_connection_env",
]

_DEFAULTS = MockOptions()
CREDENTIALS = {
    "LOOKERSDK_CLIENT_ID": _DEFAULTS.client_id,
    "LOOKERSDK_CLIENT_SECRET": _DEFAULTS.client_secret,
}


@dataclass(frozen=True)
class Outcome:
    """Exit status and captured output of one CLI run."""

    code: int
    out: str
    err: str


def set_connection_env(monkeypatch: pytest.MonkeyPatch, base_url: str, **extra: str) -> None:
    """Point the in-process CLI at the mock through LOOKERSDK_* variables."""
    monkeypatch.setenv("LOOKERSDK_BASE_URL", base_url)
    for name, value in {**CREDENTIALS, **extra}.items():
        monkeypatch.setenv(name, value)


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> Outcome:
    """Run `lookervault ARGS` in this process (it calls sys.exit) and capture its output."""
    capsys.readouterr()
    with pytest.raises(SystemExit) as exit_info:
        main(list(args))
    out, err = capsys.readouterr()
    return Outcome(int(exit_info.value.code or 0), out, err)


def child_env(base_url: str, **extra: str) -> dict[str, str]:
    """The environment of a `lookervault` child process talking to the mock."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LOOKERSDK_", "LOOKERVAULT_"))}
    env.update({"LOOKERSDK_BASE_URL": base_url, **CREDENTIALS, **extra})
    return env


def cli_command(*args: str) -> list[str]:
    """argv of a `lookervault` child process."""
    return [sys.executable, "-m", "lookervault", *args]


def export_bytes(capsys: pytest.CaptureFixture[str], db: Path, out: Path) -> bytes:
    """What `lookervault export` writes for the vault at db."""
    outcome = run_cli(capsys, "export", "--db", str(db), "--output", str(out))
    assert outcome.code == 0, outcome.err
    return out.read_bytes()


def integrity(db: Path) -> str:
    """SQLite's integrity_check verdict ("ok" when sound)."""
    with contextlib.closing(sqlite3.connect(db)) as conn:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]


def committed_items(db: Path) -> int:
    """Items committed so far, read without disturbing a running writer (0 when unreadable)."""
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=0.1)
    except sqlite3.Error:
        return 0
    try:
        return conn.execute("SELECT count(*) FROM items").fetchone()[0]
    except sqlite3.Error:
        return 0
    finally:
        conn.close()


def run_started(db: Path) -> bool:
    """Whether a run has recorded itself in the vault at db (read-only, never waits long)."""
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=0.1)
    except sqlite3.Error:
        return False
    try:
        return conn.execute("SELECT count(*) FROM runs").fetchone()[0] > 0
    except sqlite3.Error:
        return False
    finally:
        conn.close()


def failures_of_last_run(db: Path) -> set[tuple[str, str]]:
    """(content type, key) of every failure the latest run recorded."""
    with contextlib.closing(sqlite3.connect(db)) as conn:
        rows = conn.execute(
            'SELECT "content_type", "key" FROM "failures" '
            'WHERE "run_id" = (SELECT max("run_id") FROM "runs")'
        ).fetchall()
    return {(content_type, key) for content_type, key in rows}


def run_child(args: list[str], env: dict[str, str], timeout: float = 120) -> Outcome:
    """Run a child process to the end and capture its output."""
    done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=timeout)
    return Outcome(done.returncode, done.stdout, done.stderr)
