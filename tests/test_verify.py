"""Tests for verify: SQLite integrity, content against its hashes, run counts, references."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from lookervault.vault.store import Vault
from lookervault.verify import verify_vault
from tests.support import history_item, history_run


@pytest.fixture
def vault(tmp_path: Path):
    """A fresh vault per test."""
    with Vault(tmp_path / "v.db") as opened:
        yield opened


# --- verify --------------------------------------------------------------------------------


def _tamper(vault: Vault, sql: str) -> None:
    conn = sqlite3.connect(vault.path)
    with conn:
        conn.execute(sql)
    conn.close()


def test_verify_ok(vault: Vault) -> None:
    """A healthy vault passes every check."""
    history_run(vault, history_item("1"), history_item("2"))
    history_run(vault, history_item("1", v=2), unseen=["dashboards"])
    report = verify_vault(vault)
    assert report.ok and report.blobs_checked == 3
    assert set(report.checks) == {"integrity", "content hashes", "run counts", "references"}


def test_verify_catches_corrupted_blob(vault: Vault) -> None:
    """A stored content altered on purpose no longer matches its hash."""
    history_run(vault, history_item("1"), history_item("2"))
    _tamper(
        vault,
        """UPDATE "blobs" SET "content" = CAST('{"id":"evil"}' AS BLOB) WHERE "blob_id" = 1""",
    )
    report = verify_vault(vault)
    assert not report.ok
    assert report.checks["content hashes"] == [
        f"blob 1: content does not match its hash {_hash_of(vault, 1)}"
    ]


def _hash_of(vault: Vault, blob_id: int) -> str:
    conn = sqlite3.connect(vault.path)
    try:
        return conn.execute(
            'SELECT "hash" FROM "blobs" WHERE "blob_id" = ?', (blob_id,)
        ).fetchone()[0]
    finally:
        conn.close()


def test_verify_catches_wrong_counts_and_dangling_rows(vault: Vault) -> None:
    """Counts that disagree with a run's rows, and rows pointing nowhere, are reported."""
    history_run(vault, history_item("1"), history_item("2"))
    _tamper(vault, """UPDATE "runs" SET "counts" = '{"dashboards": 3}'""")
    _tamper(vault, 'DELETE FROM "versions" WHERE "version_id" = 1')
    report = verify_vault(vault)
    assert report.checks["run counts"] == ["run 1 dashboards: recorded 3 items, snapshot has 2"]
    problems = report.checks["references"]
    assert any(p.startswith("run rows pointing nowhere: run 1") for p in problems)
    assert any(p.startswith("latest state differs from its run") for p in problems)


def test_verify_tells_what_it_checks(vault: Vault) -> None:
    """The progress callback hears each check and the blob count against the total."""
    history_run(vault, history_item("1"), history_item("2"))
    heard: list[str] = []
    verify_vault(vault, tell=heard.append)
    assert heard == [
        "checking integrity",
        "hashing blobs 0/2",
        "checking run counts",
        "checking references",
    ]


def test_verify_counts_orphan_contents(vault: Vault) -> None:
    """A stored content no version uses is counted in a note, not reported as a problem."""
    history_run(vault, history_item("1"), history_item("2"))
    _tamper(
        vault,
        """INSERT INTO "blobs" ("hash", "size", "run_id", "content") VALUES ('x', 1, 1, X'00')""",
    )
    report = verify_vault(vault)
    assert "1 stored contents are no longer used by any item" in report.notes
