"""History commands as a user runs them: real processes against a mutating mock Looker on loopback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from lookervault.mock.app import MockLooker, MockOptions
from lookervault.mock.server import serve_in_thread

pytestmark = pytest.mark.integration

_TIMEOUT_S = 120


def _lookervault(*args: str, base_url: str = "") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOOKERSDK_")}
    options = MockOptions()
    env.update(
        LOOKERSDK_BASE_URL=base_url or "http://127.0.0.1:9",
        LOOKERSDK_CLIENT_ID=options.client_id,
        LOOKERSDK_CLIENT_SECRET=options.client_secret,
    )
    return subprocess.run(
        [sys.executable, "-m", "lookervault", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=_TIMEOUT_S,
    )


def test_two_runs_diff_export_and_verify(tmp_path: Path) -> None:
    """Two extracts of a mutating Looker: diff lists the changes, run 1 exports as fetched, verify passes."""
    db = str(tmp_path / "v.db")
    mock = MockLooker(MockOptions(preset="tiny", seed=5, mutate_every=11))
    with serve_in_thread(mock) as base_url:
        first = _lookervault("extract", "--db", db, "--quiet", base_url=base_url)
        assert first.returncode == 0, first.stderr
        before = _lookervault("export", "--db", db)
        second = _lookervault("extract", "--db", db, "--quiet", base_url=base_url)
        assert second.returncode == 0, second.stderr
    assert mock.mutation_log
    past = _lookervault("export", "--db", db, "--run", "1")
    assert past.returncode == 0 and past.stdout == before.stdout
    diff = _lookervault("diff", "--db", db, "--json")
    assert diff.returncode == 0, diff.stderr
    report = json.loads(diff.stdout)
    assert (report["run_a"], report["run_b"]) == (1, 2) and report["types"]
    runs = json.loads(_lookervault("runs", "--db", db, "--json").stdout)
    assert [run["status"] for run in runs["runs"]] == ["complete", "complete"]
    verify = _lookervault("verify", "--db", db)
    assert verify.returncode == 0, verify.stdout
    tree = tmp_path / "tree"
    files = _lookervault(
        "export", "--db", db, "--format", "files", "--output", str(tree), "--run", "1"
    )
    assert files.returncode == 0, files.stderr
    exported = sum(1 for p in tree.rglob("*.json"))
    assert exported == len(before.stdout.splitlines())
