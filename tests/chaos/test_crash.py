"""kill -9 at seeded moments: after --resume the vault is sound and exports like an unbroken run."""

from __future__ import annotations

import random
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from lookervault.mock.app import MockLooker, MockOptions
from lookervault.mock.server import serve_in_thread
from tests.chaos.conftest import TALLY, trials
from tests.chaos.support import (
    child_env,
    cli_command,
    export_bytes,
    integrity,
    run_cli,
    set_connection_env,
)

pytestmark = pytest.mark.integration

_OPTIONS = MockOptions(preset="demo", seed=21, latency_ms=3, latency_jitter_ms=1)
_EXTRACT = ("extract", "--quiet", "--concurrency", "4", "--page-size", "20", "--workers", "4")
_KILL_WINDOW_S = (0.3, 3.0)  # after the child starts: from mid-import to late in the run


_REFERENCE: dict[str, bytes] = {}  # the export of an unbroken run, made once per module


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    """One mock for every trial (no mutation: every run sees the same content)."""
    with serve_in_thread(MockLooker(_OPTIONS)) as url:
        yield url


def reference_export(base_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> bytes:
    """What `export` writes after a run nobody interrupted (computed on first use)."""
    if base_url not in _REFERENCE:
        db = tmp_path / "reference.db"
        done = run_cli(capsys, *_EXTRACT, "--db", str(db))
        assert done.code == 0, done.err
        _REFERENCE[base_url] = export_bytes(capsys, db, tmp_path / "reference.jsonl")
    return _REFERENCE[base_url]


def kill_at(args: list[str], env: dict[str, str], delay_s: float) -> int | None:
    """Start a child, SIGKILL it after delay_s; its exit status if it finished first."""
    proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        finished = proc.wait(timeout=delay_s)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        return None
    return finished


@pytest.mark.parametrize("seed", trials(fast=2, long=20))
@pytest.mark.usefixtures("keep_logging")
def test_kill_9_then_resume_exports_like_an_unbroken_run(
    seed: int,
    base_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """SIGKILL once or twice at seeded moments; --resume then ends identical to the reference."""
    set_connection_env(monkeypatch, base_url)
    rng = random.Random(f"crash:{seed}")
    db = tmp_path / "v.db"
    env = child_env(base_url)
    kills = 0
    for attempt in range(1 + rng.randint(0, 1)):
        args = cli_command(*_EXTRACT, "--db", str(db), *(["--resume"] if attempt else []))
        if kill_at(args, env, rng.uniform(*_KILL_WINDOW_S)) is None:
            kills += 1
    if db.exists():
        assert integrity(db) == "ok"
    # The resume runs in this process: no interpreter start-up, same code path as the CLI.
    done = run_cli(capsys, *_EXTRACT, "--db", str(db), "--resume")
    assert done.code == 0, done.err
    TALLY.update({"crash trials": 1, "kill -9": kills})
    assert integrity(db) == "ok"
    got = export_bytes(capsys, db, tmp_path / "got.jsonl")
    assert got == reference_export(base_url, tmp_path, capsys)
