"""The real CLI against a mock that pages and refuses like real Lookers: caps, 403, 404."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from lookervault.errors import ExitCode
from lookervault.mock.app import MockLooker, MockOptions
from lookervault.mock.server import serve_in_thread
from tests.support import assert_vault_equals

pytestmark = pytest.mark.integration

_DEFAULTS = MockOptions()
_COUNTS = {"dashboards": 1000, "users": 700}


@contextmanager
def _served(**knobs: Any) -> Iterator[tuple[MockLooker, str]]:
    mock = MockLooker(MockOptions(preset="tiny", counts=_COUNTS, **knobs))
    with serve_in_thread(mock) as base_url:
        yield mock, base_url


def _cli(base_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOOKERSDK_")}
    env.update(
        LOOKERSDK_BASE_URL=base_url,
        LOOKERSDK_CLIENT_ID=_DEFAULTS.client_id,
        LOOKERSDK_CLIENT_SECRET=_DEFAULTS.client_secret,
    )
    command = [sys.executable, "-m", "lookervault", *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)


def _extract(base_url: str, db: Path, *args: str) -> tuple[int, dict[str, Any]]:
    done = _cli(base_url, "extract", "--db", str(db), "--json", "--quiet", *args)
    assert "Traceback" not in done.stderr, done.stderr
    return done.returncode, json.loads(done.stdout)


def test_capped_limit_gives_a_complete_and_exact_backup(tmp_path: Path) -> None:
    """limit capped at 300: 1,000 dashboards and 700 users, every one equal to the server's."""
    db = tmp_path / "v.db"
    with _served(max_limit=300) as (mock, base_url):
        code, report = _extract(base_url, db, "dashboards", "users", "--page-size", "500")
        truth = mock.ground_truth_hashes()
    assert code == ExitCode.OK and report["status"] == "complete"
    assert report["counts"] == {"dashboards": 1000, "users": 700}
    assert_vault_equals(db, truth, ["dashboards", "users"])


def test_ignored_limit_fails_cleanly_in_a_bounded_number_of_requests(tmp_path: Path) -> None:
    """limit ignored: exit 4, one failure naming the cause, a handful of requests."""
    with _served(ignore_limit=True) as (mock, base_url):
        code, report = _extract(base_url, tmp_path / "v.db", "users")
        requests = mock.stats.requests
    assert code == ExitCode.PARTIAL and report["errors"] == 1
    assert report["outcomes"]["users"]["outcome"] == "failed"
    assert "ignores limit" in report["outcomes"]["users"]["reason"]
    # login, versions, logout, the first page, at most two listing pages; no paging on
    assert requests <= 8


def test_forbidden_type_exits_6_and_says_skipped(tmp_path: Path) -> None:
    """Themes forbidden: exit 6, "skipped (forbidden)" in --json, the report and `runs`."""
    db = tmp_path / "v.db"
    with _served(forbid=("themes",)) as (mock, base_url):
        code, report = _extract(base_url, db, "themes", "roles")
        forbidden = mock.stats.by_status.get(403, 0)
        text = _cli(base_url, "extract", "--db", str(db), "--quiet", "themes", "roles")
    assert code == ExitCode.NOT_EVERYTHING and report["status"] == "complete"
    assert report["outcomes"]["themes"]["outcome"] == "skipped (forbidden)"
    assert forbidden <= 3
    assert text.returncode == ExitCode.NOT_EVERYTHING
    assert "themes: skipped (forbidden)" in text.stdout
    runs = _cli(base_url, "runs", "--db", str(db), "--run", "1")
    assert "outcome: themes: skipped (forbidden)" in runs.stdout
    listed = _cli(base_url, "runs", "--db", str(db))
    assert "complete (1 skipped)" in listed.stdout


def test_missing_list_endpoint_is_one_bounded_failure(tmp_path: Path) -> None:
    """scheduled_plans/search answering 404: exit 4, one failure, no loop."""
    with _served(missing=("scheduled_plans",)) as (mock, base_url):
        code, report = _extract(base_url, tmp_path / "v.db", "scheduled_plans")
        not_found = mock.stats.by_status.get(404, 0)
    assert code == ExitCode.PARTIAL and report["errors"] == 1
    assert not_found <= 2


def test_excluded_type_exits_6(tmp_path: Path) -> None:
    """--exclude themes: exit 6 and "skipped (excluded)"."""
    with _served() as (_, base_url):
        code, report = _extract(
            base_url, tmp_path / "v.db", "roles", "themes", "--exclude", "theme"
        )
    assert code == ExitCode.NOT_EVERYTHING
    assert report["outcomes"]["themes"]["outcome"] == "skipped (excluded)"
