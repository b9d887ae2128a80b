"""Tests for the history commands: runs, list, show, diff, verify and export, with exit statuses."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from lookervault.cli.app import app
from lookervault.vault.store import Vault
from lookervault.verify import VERIFY_FAILED


def _cli(*tokens: str) -> int:
    return app(list(tokens), exit_on_error=False, print_error=False, result_action="return_value")


@pytest.fixture
def db(small_vault: Path) -> Path:
    """A vault with two complete runs: run 2 changed one dashboard and added one (tests/cli/conftest.py)."""
    return small_vault


def test_runs(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """runs prints every run, and --json the vault size and runs."""
    assert _cli("runs", "--db", str(db)) == 0
    out = capsys.readouterr().out
    assert "2 runs" in out and "dashboards=3" not in out  # totals only; --run N has the detail
    assert _cli("runs", "--db", str(db), "--run", "2") == 0
    assert "  dashboards  3" in capsys.readouterr().out.splitlines()
    assert _cli("runs", "--db", str(db), "--json") == 0
    report = json.loads(capsys.readouterr().out)
    assert report["vault_bytes"] > 0 and [r["run_id"] for r in report["runs"]] == [1, 2]


def test_list(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """list prints a table; --run and --search narrow it; --json gives objects."""
    assert _cli("list", "dashboards", "--db", str(db), "--run", "1", "--search", "cost") == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["id", "title", "folder", "owner", "updated_at"]
    assert [line.split()[0] for line in lines[1:]] == ["2"]
    assert _cli("list", "dashboards", "--db", str(db), "--json") == 0
    assert [r["id"] for r in json.loads(capsys.readouterr().out)] == ["1", "2", "3"]


def test_show(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """show prints pretty JSON of the item as of a run, the latest by default."""
    assert _cli("show", "dashboards", "1", "--db", str(db), "--run", "1") == 0
    out = capsys.readouterr().out
    assert json.loads(out) == {"id": "1", "title": "Sales", "folder_id": "1"}
    assert out.startswith("{\n  ")
    assert _cli("show", "dashboards", "1", "--db", str(db), "--json") == 0
    assert json.loads(capsys.readouterr().out)["content"]["tiles"] == 2


def test_diff(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """diff defaults to the last two runs; --item gives a field-level diff."""
    assert _cli("diff", "--db", str(db)) == 0
    out = capsys.readouterr().out
    assert "dashboards: 1 added, 0 removed, 1 changed, 0 unseen" in out
    assert "  + 3  New" in out and "  ~ 1  Sales" in out
    assert _cli("diff", "1", "2", "--db", str(db), "--json") == 0
    assert json.loads(capsys.readouterr().out)["types"]["dashboards"]["changed"][0]["id"] == "1"
    assert _cli("diff", "--item", "dashboards", "1", "--db", str(db)) == 0
    assert "  + /tiles: 2" in capsys.readouterr().out


def test_verify(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """verify exits 0 on a healthy vault and VERIFY_FAILED (5) on a corrupted blob."""
    assert _cli("verify", "--db", str(db)) == 0
    assert capsys.readouterr().out.strip().endswith("ok")
    conn = sqlite3.connect(db)
    with conn:
        conn.execute("""UPDATE "blobs" SET "content" = CAST('{}' AS BLOB) WHERE "blob_id" = 2""")
    conn.close()
    assert _cli("verify", "--db", str(db)) == VERIFY_FAILED == 5
    assert "content hashes: FAILED" in capsys.readouterr().out
    assert _cli("verify", "--db", str(db), "--json") == VERIFY_FAILED
    assert json.loads(capsys.readouterr().out)["ok"] is False


def test_export_past_run_jsonl_and_files(db: Path, tmp_path: Path) -> None:
    """export --run writes that run's items as JSON lines or as files."""
    out = tmp_path / "run1.jsonl"
    assert _cli("export", "--db", str(db), "--run", "1", "--output", str(out)) == 0
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [(r["id"], r["content"]) for r in lines] == [
        ("1", {"id": "1", "title": "Sales", "folder_id": "1"}),
        ("2", {"id": "2", "title": "Costs", "folder_id": "1"}),
    ]
    tree = tmp_path / "tree"
    assert _cli("export", "--db", str(db), "--format", "files", "--output", str(tree)) == 0
    assert (tree / "dashboards" / "New--3.json").is_file()


@pytest.mark.parametrize(
    "tokens",
    [
        ("list", "nonsense"),
        ("show", "dashboards", "1", "--run", "9"),
        ("show", "dashboards", "404"),
        ("diff", "1", "7"),
        ("export", "--format", "files"),
        ("diff", "--item", "nonsense", "1"),
    ],
    ids=[
        "unknown-type",
        "unknown-run",
        "unknown-item",
        "diff-unknown-run",
        "files-no-dir",
        "item-type",
    ],
)
def test_usage_errors_exit_2(
    db: Path, tokens: tuple[str, ...], capsys: pytest.CaptureFixture[str]
) -> None:
    """Unknown types, runs and items are usage errors: exit 2 and one error line."""
    assert _cli(*tokens, "--db", str(db)) == 2
    assert capsys.readouterr().err.startswith("error: ")


@pytest.mark.parametrize("command", ["runs", "verify", "diff", "export"])
def test_missing_vault_exit_2(tmp_path: Path, command: str) -> None:
    """Reading commands never create a vault: a missing one is a usage error."""
    assert _cli(command, "--db", str(tmp_path / "none.db")) == 2
    assert not (tmp_path / "none.db").exists()


def test_runs_names_unavailable_explores(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`runs --run N` says how many listed explores answered 404, as the extract summary did."""
    path = tmp_path / "v.db"
    with Vault(path) as vault:
        run_id = vault.start_run(
            options={}, looker_url="u", looker_release=None, api_version=None, tool_version="0"
        )
        stats = {"requests": 9, "unavailable:explores": 2}
        vault.finish_run(run_id, status="complete", counts={}, stats=stats)
    assert _cli("runs", "--run", str(run_id), "--db", str(path)) == 0
    out = capsys.readouterr().out
    assert "unavailable: explores: 2 listed but answered 404 (kept as they were)" in out
    assert _cli("runs", "--run", str(run_id), "--db", str(path), "--json") == 0
    assert json.loads(capsys.readouterr().out)["unavailable"] == {"explores": 2}
