"""Tests for verify: SQLite integrity, content against its hashes, run counts, references."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from lookervault.vault.records import Batch, ItemRecord
from lookervault.vault.store import Vault
from lookervault.verify import verify_vault


def _item(item_id: str, content_type: str = "dashboards", **content: object) -> ItemRecord:
    title = str(content.get("title", f"t{item_id}"))
    folder = content.get("folder_id")
    return ItemRecord(
        content_type,
        item_id,
        {"id": item_id, **content},
        title=title,
        folder_id=str(folder) if folder is not None else None,
        deleted=bool(content.get("deleted")),
    )


def _run(vault: Vault, *items: ItemRecord, status: str = "complete", gone=(), unseen=()) -> int:
    """One run writing ``items``, marking ``gone``, then unseen types gone, then finished."""
    run_id = vault.start_run(
        options={}, looker_url="u", looker_release=None, api_version=None, tool_version="0"
    )
    with vault.writer() as writer:
        writer.write(Batch(run_id, items=items, gone=tuple(gone)))
    for content_type in unseen:
        vault.mark_unseen_gone(run_id, content_type)
    counts: dict[str, int] = {}
    for item in items:
        counts[item.content_type] = counts.get(item.content_type, 0) + 1
    for content_type, _ in gone:
        counts[content_type] = counts.get(content_type, 0)
    vault.finish_run(run_id, status=status, counts=counts, stats={})
    return run_id


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
    _run(vault, _item("1"), _item("2"))
    _run(vault, _item("1", v=2), unseen=["dashboards"])
    report = verify_vault(vault)
    assert report.ok and report.blobs_checked == 3
    assert set(report.checks) == {"integrity", "content hashes", "run counts", "references"}


def test_verify_catches_corrupted_blob(vault: Vault) -> None:
    """A stored content altered on purpose no longer matches its hash."""
    _run(vault, _item("1"), _item("2"))
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
    _run(vault, _item("1"), _item("2"))
    _tamper(vault, """UPDATE "runs" SET "counts" = '{"dashboards": 3}'""")
    _tamper(vault, 'DELETE FROM "versions" WHERE "version_id" = 1')
    report = verify_vault(vault)
    assert report.checks["run counts"] == ["run 1 dashboards: recorded 3 items, snapshot has 2"]
    problems = report.checks["references"]
    assert any(p.startswith("run rows pointing nowhere: run 1") for p in problems)
    assert any(p.startswith("latest state differs from its run") for p in problems)
