"""A non-admin API user under faults: the vault never records as gone an item that still exists.

A non-admin gets 403 for the trash, all owners' alerts and all users' schedules. A draft of this
trial hung: a type whose every page answers 403 never learns where its listing ends, so its page
workers asked for the next offset forever. The pre-flight now leaves those listings out, the
trial asserts the server answered no 403, every CLI run is a child process with a timeout, and
resumes are bounded.
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from pathlib import Path

import pytest

from lookervault.mock.app import MockLooker, MockOptions
from lookervault.mock.server import serve_in_thread
from tests.chaos.conftest import TALLY, trials
from tests.chaos.support import child_env, cli_command, run_child
from tests.chaos.test_faults import schedule

pytestmark = pytest.mark.integration

MAX_RESUMES = 8
RUN_TIMEOUT_S = 120  # one CLI run of the tiny preset takes seconds; a hang fails, never waits


def _gone_ids(db: Path) -> set[tuple[str, str]]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            'SELECT "content_type", "item_id" FROM "items" WHERE "gone_run_id" IS NOT NULL'
        ).fetchall()
    return {(content_type, item_id) for content_type, item_id in rows}


def _faults(seed: int) -> MockOptions:
    """The chaos schedule of the fault trials, without stalls (a child has its own timeout)."""
    return dataclasses.replace(schedule(seed), stall_rate=0.0, big_item_bytes=0)


@pytest.mark.parametrize("seed", trials(fast=2, long=12))
def test_nonadmin_runs_under_faults_never_mark_an_existing_item_gone(
    seed: int, tmp_path: Path
) -> None:
    """Admin run, then non-admin runs under faults until complete: no item gone, no 403 served."""
    db = tmp_path / "v.db"
    args = ["extract", "--db", str(db), "--json", "--quiet", "--page-size", "5"]
    args.append("--allow-other-instance")  # the same seeded instance, served on a new port
    admin = MockLooker(MockOptions(preset="tiny", seed=seed))
    with serve_in_thread(admin) as url:
        first = run_child(cli_command(*args), child_env(url), timeout=RUN_TIMEOUT_S)
    assert first.code == 0, first.err
    mock = MockLooker(dataclasses.replace(_faults(seed), api_user="nonadmin"))
    resumes = 0
    with serve_in_thread(mock) as url:
        outcome = run_child(cli_command(*args), child_env(url), timeout=RUN_TIMEOUT_S)
        while outcome.code == 4 and resumes < MAX_RESUMES:
            assert _gone_ids(db) == set()
            outcome = run_child(
                cli_command(*args, "--resume"), child_env(url), timeout=RUN_TIMEOUT_S
            )
            resumes += 1
    assert outcome.code == 6, outcome.err  # complete, limited
    report = json.loads(outcome.out)
    assert (report["status"], report["access"]) == ("complete", "limited")
    assert mock.stats.by_status.get(403, 0) == 0
    truth = mock.ground_truth()
    gone = _gone_ids(db)
    still_there = {(name, i) for name, i in gone if i in truth.get(name, {})}
    assert still_there == set()
    assert gone == set()
    TALLY.update({"non-admin trials": 1, "non-admin resumes": resumes})
