"""Tests for the vault schema: WAL, user_version, foreign databases and migrations."""

from __future__ import annotations

import hashlib
import logging
import sqlite3
from pathlib import Path

import pytest

from lookervault.errors import VaultError
from lookervault.vault.records import Batch
from lookervault.vault.schema import MIGRATIONS, SCHEMA_VERSION
from lookervault.vault.store import Vault
from tests.vault.support import make_item, raw_rows, write_batch

# --- schema --------------------------------------------------------------------------------------


def test_wal_and_user_version(vault: Vault) -> None:
    """The vault uses WAL and records the schema version."""
    assert raw_rows(vault, "PRAGMA journal_mode") == [("wal",)]
    assert raw_rows(vault, "PRAGMA user_version") == [(SCHEMA_VERSION,)]


def test_reopen_runs_no_migration(tmp_path: Path) -> None:
    """Opening an existing vault applies no migration again."""
    path = tmp_path / "v.db"
    with Vault(path) as first:
        assert first.applied_migrations == tuple(m.name for m in MIGRATIONS)
        before = raw_rows(first, 'SELECT * FROM "migrations"')
    with Vault(path) as second:
        assert second.applied_migrations == ()
        assert raw_rows(second, 'SELECT * FROM "migrations"') == before
    assert len(before) == SCHEMA_VERSION


def test_new_vault_logs_its_schema_at_debug_only(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Creating a vault is no news: no "migrated" line at INFO, one debug line per schema step."""
    with caplog.at_level(logging.DEBUG, logger="lookervault.vault.schema"):
        Vault(tmp_path / "v.db").close()
    assert [r.levelno for r in caplog.records] == [logging.DEBUG] * SCHEMA_VERSION
    assert not any("migrated" in r.getMessage() for r in caplog.records)


def test_upgrading_an_older_vault_logs_at_info(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A real migration of an existing schema-1 vault is still told at INFO, once."""
    _v1_vault(tmp_path / "v1.db")
    with caplog.at_level(logging.DEBUG, logger="lookervault.vault.schema"):
        Vault(tmp_path / "v1.db").close()
    messages = [(r.levelno, r.getMessage()) for r in caplog.records]
    assert messages == [
        (logging.INFO, f"vault migrated to schema {m.version} ({m.name})") for m in MIGRATIONS[1:]
    ]


def test_foreign_sqlite_database(tmp_path: Path) -> None:
    """A SQLite database that is not a vault is refused."""
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE t (x)")
    conn.close()
    with pytest.raises(VaultError, match="not a LookerVault database"):
        Vault(path)


def test_newer_schema_refused(tmp_path: Path) -> None:
    """A vault written by a newer lookervault is refused."""
    path = tmp_path / "v.db"
    Vault(path).close()
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(VaultError, match="newer"):
        Vault(path)


# --- schema 1 -> 2 migration ------------------------------------------------------------------

V1_RUN = (
    'INSERT INTO "runs" ("run_id", "started_at", "finished_at", "status", "counts", '
    '"looker_url", "tool_version") VALUES (?, ?, ?, ?, ?, ?, ?)'
)
V1_ITEM = (
    'INSERT INTO "items" ("content_type", "item_id", "content", "title", "folder_id", '
    '"owner_id", "created_at", "updated_at", "deleted", "size", "content_hash", "run_id", '
    '"extracted_at", "gone_run_id", "gone_at") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)'
)


def _v1_vault(path: Path) -> dict[tuple[str, str], bytes]:
    """A schema-1 vault built from the v1 DDL: two runs, a shared content, a gone item."""
    from lookervault.vault.schema import MIGRATIONS

    contents = {
        ("dashboards", "1"): b'{"id":"1","title":"One"}',
        ("dashboards", "2"): b'{"id":"2","title":"Two"}',
        ("content_metadata_access", "7"): b"[]",
        ("content_metadata_access", "8"): b"[]",  # same bytes as 7: stored once after migration
        ("looks", "3"): b'{"id":"3","deleted":true}',
    }
    conn = sqlite3.connect(path)
    with conn:
        for statement in MIGRATIONS[0].statements:
            conn.execute(statement)
        conn.execute(
            'CREATE TABLE "migrations" ("version" INTEGER PRIMARY KEY, "name" TEXT NOT NULL, "applied_at" TEXT NOT NULL)'
        )
        conn.execute("INSERT INTO migrations VALUES (1, 'initial', 'then')")
        conn.execute("PRAGMA user_version = 1")
        conn.execute(
            V1_RUN,
            (
                1,
                "2025-01-01T00:00:00+00:00",
                "2025-01-01T00:01:00+00:00",
                "complete",
                '{"dashboards":2}',
                "u",
                "0",
            ),
        )
        conn.execute(
            V1_RUN,
            (
                2,
                "2025-01-02T00:00:00+00:00",
                "2025-01-02T00:01:00+00:00",
                "complete",
                '{"dashboards":1}',
                "u",
                "0",
            ),
        )
        for (content_type, item_id), data in contents.items():
            run = 2 if item_id in ("1", "3", "7", "8") else 1
            gone = 2 if item_id == "2" else None
            conn.execute(V1_ITEM, (
                content_type, item_id, data, f"t{item_id}", "5", None, None, None,
                int(item_id == "3"), len(data), hashlib.sha256(data).hexdigest(), run, "x",
                gone, "y" if gone else None,
            ))  # fmt: skip
    conn.close()
    return contents


def test_migrates_schema_1_without_loss(tmp_path: Path) -> None:
    """A schema-1 vault opens, migrates to the current schema and keeps every item and run."""
    path = tmp_path / "v1.db"
    contents = _v1_vault(path)
    with Vault(path) as vault:
        assert vault.applied_migrations == tuple(m.name for m in MIGRATIONS[1:])
        latest = {(t, i): c for t, i, c in vault.iter_items()}
        assert latest == {k: v for k, v in contents.items() if k != ("dashboards", "2")}
        assert vault.item_ids("dashboards") == {"1"}
        assert vault.item_ids("dashboards", run_id=1) == set()
        assert [r.history for r in vault.runs()] == ["latest-only", "latest-only"]
        assert [r.counts for r in vault.runs()] == [{"dashboards": 2}, {"dashboards": 1}]
        run1 = {(t, i): c for t, i, c in vault.iter_items(run_id=1)}
        assert run1 == {("dashboards", "2"): contents[("dashboards", "2")]}
        assert raw_rows(vault, 'SELECT COUNT(*) FROM "blobs"') == [(4,)]
        assert raw_rows(vault, "PRAGMA user_version") == [(SCHEMA_VERSION,)]
        assert raw_rows(vault, "PRAGMA integrity_check") == [("ok",)]
        # The migrated vault takes new runs like a fresh one.
        run = vault.start_run(
            options={}, looker_url="u", looker_release=None, api_version=None, tool_version="0"
        )
        write_batch(vault, Batch(run, items=(make_item("1"),)))
        assert vault.item_ids("dashboards", run_id=run) == {"1"}
    with Vault(path) as again:
        assert again.applied_migrations == ()
