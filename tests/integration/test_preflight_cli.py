"""`lookervault extract` as a child process against a non-admin user and an old Looker release."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from lookervault.mock.app import MockLooker, MockOptions
from lookervault.mock.server import serve_in_thread
from tests.chaos.support import child_env, cli_command, run_child
from tests.support import assert_vault_equals, vault_hashes

pytestmark = pytest.mark.integration


def _gone(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return conn.execute(
            'SELECT count(*) FROM "items" WHERE "gone_run_id" IS NOT NULL'
        ).fetchone()[0]


def test_nonadmin_run_is_limited_and_marks_nothing_gone(tmp_path: Path) -> None:
    """Admin run, then a non-admin run: LIMITED BACKUP on stderr, runs says limited, nothing gone."""
    db = tmp_path / "v.db"
    args = ["extract", "--db", str(db), "--json", "--quiet", "--allow-other-instance"]
    admin = MockLooker(MockOptions(preset="demo", seed=5))
    with serve_in_thread(admin) as url:
        first = run_child(cli_command(*args), child_env(url))
    assert first.code == 0, first.err
    assert "LIMITED" not in first.err
    before = vault_hashes(db)
    with serve_in_thread(
        MockLooker(MockOptions(preset="demo", seed=5, api_user="nonadmin"))
    ) as url:
        second = run_child(cli_command(*args), child_env(url))
    assert second.code == 6, second.err  # complete except what a non-admin may not see
    assert "WARNING lookervault.backup.preflight: LIMITED BACKUP:" in second.err  # not a tty
    assert "no trash" in second.err
    assert json.loads(second.out)["access"] == "limited"
    assert _gone(db) == 0
    assert {n: set(ids) for n, ids in vault_hashes(db).items()} == {
        n: set(ids) for n, ids in before.items()
    }
    runs = run_child(cli_command("runs", "--db", str(db), "--json"), child_env(url))
    assert [r["access"] for r in json.loads(runs.out)["runs"]] == ["admin", "limited"]
    table = run_child(cli_command("runs", "--db", str(db)), child_env(url)).out
    assert "complete (limited)" in table


def test_old_release_backs_up_schedules_through_the_old_endpoint(tmp_path: Path) -> None:
    """On 24.10 (no scheduled_plans/search) the run is complete and equals the truth."""
    db = tmp_path / "v.db"
    mock = MockLooker(MockOptions(preset="demo", release="24.10"))
    with serve_in_thread(mock) as url:
        done = run_child(
            cli_command("extract", "--db", str(db), "--json", "--quiet"), child_env(url)
        )
    assert done.code == 0, done.err
    report = json.loads(done.out)
    assert report["requests_by_type"]["scheduled_plans"] == 1
    assert mock.stats.by_status.get(404, 0) == 0
    assert_vault_equals(db, mock.ground_truth_hashes())


def test_plan_predicts_the_requests_of_the_run(tmp_path: Path) -> None:
    """`extract --plan --json` says exactly what the next `extract --json` spends, type by type."""
    db = tmp_path / "v.db"
    mock = MockLooker(MockOptions(preset="demo"))
    with serve_in_thread(mock) as url:
        plan = run_child(
            cli_command("extract", "--plan", "--json", "--db", str(db)), child_env(url)
        )
        assert plan.code == 0, plan.err
        assert not db.exists()  # the plan stores nothing
        run = run_child(
            cli_command("extract", "--db", str(db), "--json", "--quiet"), child_env(url)
        )
    assert run.code == 0, run.err
    predicted, actual = json.loads(plan.out), json.loads(run.out)
    assert predicted["requests_by_type"] == actual["requests_by_type"]
    assert predicted["requests"] == actual["requests"]
