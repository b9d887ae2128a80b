"""`lookervault restore` as a user runs it: a child process against the writable mock on loopback."""

from __future__ import annotations

import json
from pathlib import Path

import anyio
import pytest

from lookervault.mock.options import MockOptions
from lookervault.mock.server import serve_in_thread
from tests.chaos.support import child_env, cli_command, run_child
from tests.restore.scene import backup, fullest_folder, hard_delete_folder, writable_mock

pytestmark = pytest.mark.integration


def test_refused_writes_exit_4_then_resume_completes(tmp_path: Path) -> None:
    """403 on dashboards: exit 4, failures named, `to continue:`; lifted, --resume exits 0."""
    mock = writable_mock(seed=3)
    db = tmp_path / "v.db"
    with serve_in_thread(mock) as base_url:
        anyio.run(backup, mock, db, base_url)
        folder = fullest_folder(mock)
        anyio.run(hard_delete_folder, mock, folder)
        mock.options = MockOptions(**{**mock.options.__dict__, "forbid_writes": ("dashboards",)})
        env = child_env(base_url)
        first = run_child(
            cli_command("restore", "--folder", folder, "--apply", "--db", str(db)), env
        )
        assert first.code == 4, first.err
        assert "failed: dashboards" in first.out and "403" in first.out
        assert "to continue: lookervault restore --resume --db" in first.err
        mock.options = MockOptions(**{**mock.options.__dict__, "forbid_writes": ()})
        resumed = run_child(cli_command("restore", "--resume", "--db", str(db), "--json"), env)
        assert resumed.code == 0, resumed.err
        report = json.loads(resumed.out)
        assert set(report) == {"summary", "entries", "missing", "not_restorable", "restore_id",
                               "refused", "applied", "failures", "notes"}  # fmt: skip
        assert set(report["entries"][0]) == {"type", "id", "title", "action", "target_id", "reason"}
        assert report["failures"] == [] and report["summary"]["CREATE"] > 0
        again = run_child(
            cli_command("restore", "--folder", folder, "--db", str(db), "--json"), env
        )
    assert again.code == 0
    assert {e["action"] for e in json.loads(again.out)["entries"]} == {"SKIP"}


def test_unknown_ids_are_named_and_exit_4(tmp_path: Path) -> None:
    """Ids the vault lacks: listed MISSING, exit 4, nothing written."""
    mock = writable_mock(seed=3)
    db = tmp_path / "v.db"
    with serve_in_thread(mock) as base_url:
        anyio.run(backup, mock, db, base_url)
        done = run_child(
            cli_command("restore", "dashboards", "987654", "--apply", "--db", str(db)),
            child_env(base_url),
        )
    assert done.code == 4 and "MISSING   dashboards" in done.out and "987654" in done.out
    assert mock.stats.writes == 0


def test_another_instance_is_refused(tmp_path: Path) -> None:
    """A vault of one Looker is never restored into another: exit 2, one line, nothing written."""
    mock = writable_mock(seed=3)
    db = tmp_path / "v.db"
    anyio.run(backup, mock, db)  # recorded as http://mock
    with serve_in_thread(mock) as base_url:
        done = run_child(
            cli_command("restore", "looks", "--apply", "--db", str(db)), child_env(base_url)
        )
    assert done.code == 2 and "the vault holds runs of http://mock" in done.err
    assert mock.stats.writes == 0
