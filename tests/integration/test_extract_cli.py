"""`lookervault extract` as a user runs it: a real process against the mock Looker on loopback."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from lookervault.mock.app import MockLooker, MockOptions
from lookervault.mock.server import serve_in_thread
from tests.support import assert_vault_equals

pytestmark = pytest.mark.integration

_DEFAULTS = MockOptions()


def _env(base_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOOKERSDK_")}
    env.update(
        LOOKERSDK_BASE_URL=base_url,
        LOOKERSDK_CLIENT_ID=_DEFAULTS.client_id,
        LOOKERSDK_CLIENT_SECRET=_DEFAULTS.client_secret,
    )
    env.update(extra)
    return env


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "lookervault", *args]


def _run(base_url: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        _cli("extract", *args), env=_env(base_url), capture_output=True, text=True, timeout=timeout
    )


@pytest.fixture
def served() -> Iterator[tuple[MockLooker, str]]:
    """A demo-sized mock Looker on a free loopback port, stopped after the test."""
    mock = MockLooker(MockOptions(preset="demo", seed=11))
    with serve_in_thread(mock) as base_url:
        yield mock, base_url


def test_extract_json_report_and_vault_equal_ground_truth(served, tmp_path: Path) -> None:
    """A complete run prints one JSON object and the vault equals the server item by item."""
    mock, base_url = served
    db = tmp_path / "v.db"
    done = _run(base_url, "--db", str(db), "--json", "--quiet")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert set(report) == {
        "run_id", "status", "counts", "errors", "requests", "rate_limited", "retries", "elapsed_s",
        "items_per_s", "unavailable", "requests_by_type", "access", "outcomes",
    }  # fmt: skip
    assert report["status"] == "complete" and report["errors"] == 0 and not report["unavailable"]
    truth = mock.ground_truth_hashes()
    assert report["counts"] == {name: len(ids) for name, ids in truth.items()}
    assert_vault_equals(db, truth)
    assert (db.stat().st_mode & 0o777) == 0o600


def test_export_jsonl_lists_every_item(served, tmp_path: Path) -> None:
    """export --format jsonl writes one line per stored item with its type, id and content."""
    mock, base_url = served
    db = tmp_path / "v.db"
    assert _run(base_url, "--db", str(db), "--quiet", "dashboards", "looks").returncode == 0
    out = tmp_path / "out.jsonl"
    done = subprocess.run(
        _cli("export", "--db", str(db), "--output", str(out)), capture_output=True
    )
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    truth = mock.ground_truth()
    assert {(x["content_type"], x["id"]) for x in lines} == {
        (t, i) for t in ("dashboards", "looks") for i in truth[t]
    }
    assert all(x["content"] == truth[x["content_type"]][x["id"]] for x in lines)
    assert (out.stat().st_mode & 0o777) == 0o600


def test_kill_9_then_resume_equals_an_uninterrupted_run(tmp_path: Path) -> None:
    """A run killed with SIGKILL mid-way and resumed ends identical to a run never interrupted."""
    mock = MockLooker(MockOptions(preset="demo", seed=12, latency_ms=5, latency_jitter_ms=2))
    db = tmp_path / "v.db"
    with serve_in_thread(mock) as base_url:
        proc = _start_slow_extract(base_url, db, stdout=subprocess.DEVNULL)
        _wait_until_committed(db, proc, 200)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        resumed = _run(base_url, "--db", str(db), "--resume", "--json", "--quiet")
        assert resumed.returncode == 0, resumed.stderr
        assert json.loads(resumed.stdout)["run_id"] == 1
        reference = tmp_path / "ref.db"
        assert _run(base_url, "--db", str(reference), "--quiet").returncode == 0
    assert_vault_equals(db, mock.ground_truth_hashes())
    assert _export(db) == _export(reference)
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def _start_slow_extract(base_url: str, db: Path, *, stdout: int) -> subprocess.Popen[str]:
    """An extract with few requests in flight and small pages, so it can be stopped mid-way."""
    return subprocess.Popen(
        _cli("extract", "--db", str(db), "--quiet", "--concurrency", "4", "--page-size", "20"),
        env=_env(base_url),
        stdout=stdout,
        stderr=stdout,
        text=True,
    )


def _wait_until_committed(db: Path, proc: subprocess.Popen[str], items: int) -> None:
    """Wait until the run has committed `items` items; it must still be running then."""
    deadline = time.monotonic() + 60
    while _committed_items(db) < items and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    assert proc.poll() is None, "the run finished before it could be stopped"


def _committed_items(db: Path) -> int:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=0.1) as conn:
            return conn.execute("SELECT count(*) FROM items").fetchone()[0]
    except sqlite3.Error:
        return 0


def _export(db: Path) -> bytes:
    done = subprocess.run(_cli("export", "--db", str(db)), capture_output=True, check=True)
    return done.stdout


def test_token_expiry_429_and_faults_over_a_real_socket(tmp_path: Path) -> None:
    """Short-lived tokens, a rate limit with Retry-After and injected 5xx/drops: still complete."""
    options = MockOptions(
        preset="tiny",
        seed=13,
        token_ttl_s=2,
        rate_limit_per_s=30,
        retry_after_s=1,
        fault_rate=0.05,
        drop_rate=0.02,
        latency_ms=2,
    )
    mock = MockLooker(options)
    db = tmp_path / "v.db"
    with serve_in_thread(mock) as base_url:
        done = _run(base_url, "--db", str(db), "--json", "--quiet", "--page-size", "3")
        if done.returncode == 4:  # partial: every failure is recorded; resume finishes the job
            done = _run(base_url, "--db", str(db), "--json", "--quiet", "--resume")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["status"] == "complete"
    assert mock.stats.as_dict()["rate_limited"] > 0
    assert_vault_equals(db, mock.ground_truth_hashes())


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--workers", "0"], "workers"),
        (["--workers", "51"], "workers"),
        (["--workers", "abc"], "workers"),
        (["--rate-limit-per-second", "-1"], "rate-limit-per-second"),
        (["dashbords"], "unknown content type 'dashbords'; did you mean 'dashboards'?"),
    ],
)
def test_bad_flags_exit_2_with_one_line(args: list[str], message: str, tmp_path: Path) -> None:
    """Invalid flag values are usage errors: exit 2, one `error:` line, no traceback."""
    done = _run("http://127.0.0.1:9", "--db", str(tmp_path / "v.db"), *args)
    assert done.returncode == 2
    assert done.stderr.startswith("error:") and message in done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "v.db").exists()


def test_unreachable_looker_exits_3_without_the_secret(tmp_path: Path) -> None:
    """A host that refuses connections is exit 3 with a clear line and no secret in the output."""
    done = _run("http://127.0.0.1:9", "--db", str(tmp_path / "v.db"))
    assert done.returncode == 3, done.stderr
    assert "error:" in done.stderr and "Traceback" not in done.stderr
    assert _DEFAULTS.client_secret not in done.stderr + done.stdout


@pytest.mark.parametrize(("workers", "warned"), [("16", False), ("17", True)])
def test_verbose_warns_above_16_workers(workers: str, warned: bool, tmp_path: Path) -> None:
    """--verbose with more than 16 writer threads names the contention and the recommendation."""
    db = str(tmp_path / "v.db")
    done = _run("http://127.0.0.1:9", "--db", db, "--verbose", "--workers", workers)
    assert done.returncode == 3, done.stderr
    assert ("above 16 writer threads" in done.stderr) is warned
    assert ("recommended: --workers" in done.stderr) is warned


def test_wrong_credentials_exit_3(served, tmp_path: Path) -> None:
    """Looker refusing the credentials is exit 3 and never echoes the secret."""
    _, base_url = served
    env = _env(base_url, LOOKERSDK_CLIENT_SECRET="not-the-secret-xyz")
    done = subprocess.run(
        _cli("extract", "--db", str(tmp_path / "v.db")), env=env, capture_output=True, text=True
    )
    assert done.returncode == 3
    assert "not-the-secret-xyz" not in done.stderr + done.stdout


def test_ctrl_c_stops_cleanly_with_130_and_resume_completes(tmp_path: Path) -> None:
    """SIGINT mid-run commits what is queued, exits 130, and --resume finishes the same run."""
    mock = MockLooker(MockOptions(preset="demo", seed=14, latency_ms=5))
    db = tmp_path / "v.db"
    with serve_in_thread(mock) as base_url:
        proc = _start_slow_extract(base_url, db, stdout=subprocess.PIPE)
        _wait_until_committed(db, proc, 100)
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=60)
        assert proc.returncode == 130, stderr
        assert "Traceback" not in stderr
        assert stderr.splitlines()[-1] == f"to continue: lookervault extract --resume --db {db}"
        with sqlite3.connect(db) as conn:
            status = conn.execute("SELECT status FROM runs WHERE run_id = 1").fetchone()[0]
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert status == "interrupted"
        resumed = _run(base_url, "--db", str(db), "--resume", "--json", "--quiet")
    assert resumed.returncode == 0, resumed.stderr
    assert json.loads(resumed.stdout)["run_id"] == 1
    assert_vault_equals(db, mock.ground_truth_hashes())


def test_the_next_extract_starts_from_the_pace_the_last_one_learned(served, tmp_path: Path) -> None:
    """The second run reads the first's pace before its login (so the log says so before the
    run starts); `--relearn-rate` starts afresh. Each run backs up everything."""
    mock, base_url = served
    db = tmp_path / "v.db"
    first = _run(base_url, "--db", str(db))
    assert first.returncode == 0, first.stderr
    assert "pace the last run learned" not in first.stderr
    second = _run(base_url, "--db", str(db))
    assert second.returncode == 0, second.stderr
    lines = second.stderr.splitlines()
    said = [
        i for i, line in enumerate(lines) if "starting from the pace the last run learned" in line
    ]
    started = [i for i, line in enumerate(lines) if "started run 2" in line]
    assert len(said) == 1 and started and said[0] < started[0], second.stderr
    assert "no limit met (--relearn-rate starts afresh)" in lines[said[0]]
    third = _run(base_url, "--db", str(db), "--relearn-rate")
    assert third.returncode == 0, third.stderr
    assert "pace the last run learned" not in third.stderr
    assert_vault_equals(db, mock.ground_truth_hashes())
