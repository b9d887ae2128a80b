"""Use between runs on loopback: 500 views grow the vault by at most 1 % more than a run without
them does (a run's own rows), store no new content, and change nothing."""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from lookervault.mock.app import MockLooker, MockOptions
from lookervault.mock.server import serve_in_thread
from tests.chaos.support import run_cli, set_connection_env

pytestmark = pytest.mark.integration

_VIEWS = 500
_MAX_GROWTH = 0.01


@pytest.fixture(autouse=True)
def _keep_logging() -> Iterator[None]:
    """The in-process CLI installs its own root handler; put pytest's back afterwards."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def _blobs(db: Path) -> int:
    """How many contents the vault stores (telemetry replaces bytes in place, never adds one)."""
    with sqlite3.connect(db) as conn:
        return conn.execute('SELECT count(*) FROM "blobs"').fetchone()[0]


def _changed(capsys: pytest.CaptureFixture[str], db: Path) -> dict[str, list[str]]:
    """`diff --json` of the last two runs: the changed ids per type (every other kind empty)."""
    outcome = run_cli(capsys, "diff", "--db", str(db), "--json")
    assert outcome.code == 0, outcome.err
    types = json.loads(outcome.out)["types"]
    for kinds in types.values():
        assert kinds["added"] == kinds["removed"] == kinds["unseen"] == []
    return {name: [ref["id"] for ref in kinds["changed"]] for name, kinds in types.items()}


def test_views_between_runs_add_nothing_and_an_edit_shows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Back up, 500 views, back up: no new content, <= 1 % more growth than a run without views
    (its run rows), no change; one title edit: exactly that item."""
    db, control = tmp_path / "v.db", tmp_path / "control.db"
    mock = MockLooker(MockOptions(preset="demo"))
    with serve_in_thread(mock) as base_url:
        set_connection_env(monkeypatch, base_url)
        for vault in (db, control, control):  # the control's second run sees no views
            assert run_cli(capsys, "extract", "--quiet", "--db", str(vault)).code == 0
        first_size, stored = db.stat().st_size, _blobs(db)
        run_rows = control.stat().st_size - first_size
        viewed = httpx.post(f"{base_url}/__mock__/use", params={"views": _VIEWS}).json()
        assert viewed == {"views": _VIEWS}
        assert run_cli(capsys, "extract", "--quiet", "--db", str(db)).code == 0
        assert _blobs(db) == stored
        growth = db.stat().st_size - first_size
        assert growth - run_rows <= _MAX_GROWTH * first_size, (growth, run_rows, first_size)
        assert _changed(capsys, db) == {}
        edited = sorted(mock.data.objects["dashboards"])[0]
        dashboards = mock.data.objects["dashboards"]
        dashboards[edited] = {**dashboards[edited], "title": "Edited by an admin"}
        assert run_cli(capsys, "extract", "--quiet", "--db", str(db)).code == 0
    assert _changed(capsys, db) == {"dashboards": [edited]}
    verified = run_cli(capsys, "verify", "--db", str(db))
    assert verified.code == 0, verified.out + verified.err
