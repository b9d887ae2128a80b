"""The request budget under load: a run stops at --max-requests, the server saw no more, resumes finish."""

from __future__ import annotations

import json
import random
import sqlite3
from pathlib import Path

import pytest

from lookervault.mock.app import MockLooker, MockOptions
from lookervault.mock.server import serve_in_thread
from tests.chaos.conftest import TALLY, trials
from tests.chaos.support import run_cli, set_connection_env
from tests.support import assert_vault_equals

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("keep_logging")]

# A tiny mock's full run costs about 80 requests: budgets well below it need several sessions.
MAX_SESSIONS = 12


def _gone(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        query = 'SELECT count(*) FROM "items" WHERE "gone_run_id" IS NOT NULL'
        return conn.execute(query).fetchone()[0]


@pytest.mark.parametrize("seed", trials(fast=2, long=12))
def test_budgeted_sessions_never_exceed_the_budget_and_finish_the_run(
    seed: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each session sends at most N requests and ends partial (exit 4); resumes complete the run."""
    budget = random.Random(f"budget:{seed}").randint(25, 50)
    mock = MockLooker(MockOptions(preset="tiny", seed=seed))
    db = tmp_path / "v.db"
    args = ("extract", "--db", str(db), "--json", "--quiet", "--page-size", "5")
    with serve_in_thread(mock) as base_url:
        set_connection_env(monkeypatch, base_url)
        outcome = run_cli(capsys, *args, "--max-requests", str(budget))
        sessions = 1
        served = mock.stats.requests
        assert outcome.code == 4, outcome.err
        while outcome.code == 4 and sessions < MAX_SESSIONS:
            assert served <= budget, f"the server saw {served} requests, budget {budget}"
            report = json.loads(outcome.out)
            assert report["status"] == "partial" and report["requests"] <= budget
            assert "--max-requests" in outcome.err and "to continue:" in outcome.err
            assert _gone(db) == 0
            before = mock.stats.requests
            outcome = run_cli(capsys, *args, "--resume", "--max-requests", str(budget))
            served = mock.stats.requests - before
            sessions += 1
    assert outcome.code == 0, outcome.err
    assert served <= budget
    assert json.loads(outcome.out)["status"] == "complete"
    assert_vault_equals(db, mock.ground_truth_hashes())
    TALLY.update({"budget trials": 1, "budgeted sessions": sessions})


def test_resume_without_a_budget_completes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A run stopped at its budget is finished by one --resume without a budget."""
    mock = MockLooker(MockOptions(preset="tiny"))
    db = tmp_path / "v.db"
    with serve_in_thread(mock) as base_url:
        set_connection_env(monkeypatch, base_url)
        stopped = run_cli(capsys, "extract", "--db", str(db), "--quiet", "--max-requests", "30")
        assert stopped.code == 4 and mock.stats.requests <= 30
        finished = run_cli(capsys, "extract", "--db", str(db), "--quiet", "--resume")
    assert finished.code == 0, finished.err
    assert_vault_equals(db, mock.ground_truth_hashes())
