"""The vault's schema: its DDL, the ordered migrations recorded in the vault, and schema checks."""

from __future__ import annotations

import functools
import logging
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from lookervault.errors import VaultError
from lookervault.vault.connection import quote, utc_now, write_retrying

__all__ = [
    "META_COLUMNS",
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "Migration",
    "check_schema",
    "migrate",
]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Migration:
    """One schema step: its version (PRAGMA user_version after it), name and statements."""

    version: int
    name: str
    statements: tuple[str, ...]


META_COLUMNS = ("title", "folder_id", "owner_id", "created_at", "updated_at", "deleted")
_V2_ITEM_COLUMNS = (
    "content_type",
    "item_id",
    *META_COLUMNS,
    "size",
    "content_hash",
    "run_id",
    "extracted_at",
    "gone_run_id",
    "gone_at",
)

# Schema 2: every run is a snapshot. Content lives once per distinct byte string in "blobs"
# (content-addressed by sha256); "versions" are the distinct (item, blob) pairs with the
# metadata lifted from that content; "run_items" says which version each run saw (NULL: the
# run saw the item gone). "items" stays the latest state, now without the content itself.
# Runs recorded before schema 2 kept only the latest content: their history is "latest-only".
_HISTORY_STATEMENTS: tuple[str, ...] = (
    """CREATE TABLE "blobs" (
        "blob_id" INTEGER PRIMARY KEY,
        "hash" TEXT NOT NULL UNIQUE,
        "size" INTEGER NOT NULL,
        "run_id" INTEGER NOT NULL REFERENCES "runs" ("run_id"),
        "content" BLOB NOT NULL
    )""",
    # Covers `runs` (bytes each run added) without reading the content pages.
    'CREATE INDEX "blobs_by_run" ON "blobs" ("run_id", "size")',
    'INSERT OR IGNORE INTO "blobs" ("hash", "size", "run_id", "content") '
    'SELECT "content_hash", "size", "run_id", "content" FROM "items" '
    'ORDER BY "run_id", "content_type", "item_id"',
    # A stable integer key (not the implicit rowid, which VACUUM may renumber) keeps the
    # per-run rows small.
    """CREATE TABLE "items_v2" (
        "item_key" INTEGER PRIMARY KEY,
        "content_type" TEXT NOT NULL,
        "item_id" TEXT NOT NULL,
        "title" TEXT,
        "folder_id" TEXT,
        "owner_id" TEXT,
        "created_at" TEXT,
        "updated_at" TEXT,
        "deleted" INTEGER NOT NULL DEFAULT 0,
        "size" INTEGER NOT NULL,
        "content_hash" TEXT NOT NULL,
        "run_id" INTEGER NOT NULL REFERENCES "runs" ("run_id"),
        "extracted_at" TEXT NOT NULL,
        "gone_run_id" INTEGER REFERENCES "runs" ("run_id"),
        "gone_at" TEXT,
        UNIQUE ("content_type", "item_id")
    )""",
    f'INSERT INTO "items_v2" ({", ".join(quote(c) for c in _V2_ITEM_COLUMNS)}) '
    f'SELECT {", ".join(quote(c) for c in _V2_ITEM_COLUMNS)} FROM "items" '
    'ORDER BY "content_type", "item_id"',
    'DROP TABLE "items"',
    'ALTER TABLE "items_v2" RENAME TO "items"',
    'CREATE INDEX "items_by_run" ON "items" ("content_type", "run_id")',
    """CREATE TABLE "versions" (
        "version_id" INTEGER PRIMARY KEY,
        "item_key" INTEGER NOT NULL,
        "blob_id" INTEGER NOT NULL,
        "title" TEXT,
        "folder_id" TEXT,
        "owner_id" TEXT,
        "created_at" TEXT,
        "updated_at" TEXT,
        "deleted" INTEGER NOT NULL DEFAULT 0,
        UNIQUE ("item_key", "blob_id")
    )""",
    'INSERT INTO "versions" ("item_key", "blob_id", "title", "folder_id", "owner_id", '
    '"created_at", "updated_at", "deleted") '
    'SELECT i."item_key", b."blob_id", i."title", i."folder_id", i."owner_id", '
    'i."created_at", i."updated_at", i."deleted" '
    'FROM "items" AS i JOIN "blobs" AS b ON b."hash" = i."content_hash" ORDER BY i."item_key"',
    # WITHOUT ROWID: 100k items x 10 runs is a million rows of three integers.
    """CREATE TABLE "run_items" (
        "run_id" INTEGER NOT NULL,
        "item_key" INTEGER NOT NULL,
        "version_id" INTEGER,
        PRIMARY KEY ("run_id", "item_key")
    ) WITHOUT ROWID""",
    'INSERT INTO "run_items" ("run_id", "item_key", "version_id") '
    'SELECT i."run_id", i."item_key", v."version_id" '
    'FROM "items" AS i JOIN "versions" AS v ON v."item_key" = i."item_key"',
    'INSERT OR REPLACE INTO "run_items" ("run_id", "item_key", "version_id") '
    'SELECT "gone_run_id", "item_key", NULL FROM "items" WHERE "gone_run_id" IS NOT NULL',
    """ALTER TABLE "runs" ADD COLUMN "history" TEXT NOT NULL DEFAULT 'full'""",
    """UPDATE "runs" SET "history" = 'latest-only'""",
)


# Schema 3: telemetry (view counts, last-run times) is not content. Whether an item's new bytes
# differ from its latest only in telemetry is decided by the writer when its bytes change, by
# hashing both without telemetry: nothing is stored for it, so no existing row needs a value.
# "telemetry_run_id" is the last run that replaced a version's bytes in place because only
# telemetry had changed; the index lets the writer check cheaply that no other version shares
# the bytes it replaces.
_TELEMETRY_STATEMENTS: tuple[str, ...] = (
    'ALTER TABLE "versions" ADD COLUMN "telemetry_run_id" INTEGER',
    'CREATE INDEX "versions_by_blob" ON "versions" ("blob_id")',
)


# Schema 4: restores. "id_map" says which object a restore created for a backed-up one (same
# instance: the id when it still exists; else the new id), "restore_steps" what each restore did
# per object; an object is recorded in id_map in the same transaction as its step, and a
# "pending" row is written before each create so a resumed restore looks for it before posting.
_RESTORE_STATEMENTS: tuple[str, ...] = (
    """CREATE TABLE "restores" (
        "restore_id" INTEGER PRIMARY KEY,
        "started_at" TEXT NOT NULL,
        "finished_at" TEXT,
        "status" TEXT NOT NULL,
        "source_run_id" INTEGER,
        "options" TEXT NOT NULL DEFAULT '{}',
        "looker_url" TEXT NOT NULL
    )""",
    """CREATE TABLE "id_map" (
        "content_type" TEXT NOT NULL,
        "source_id" TEXT NOT NULL,
        "target_id" TEXT NOT NULL,
        "restore_id" INTEGER NOT NULL REFERENCES "restores" ("restore_id"),
        "mapped_at" TEXT NOT NULL,
        PRIMARY KEY ("content_type", "source_id")
    ) WITHOUT ROWID""",
    """CREATE TABLE "restore_steps" (
        "restore_id" INTEGER NOT NULL REFERENCES "restores" ("restore_id"),
        "content_type" TEXT NOT NULL,
        "source_id" TEXT NOT NULL,
        "action" TEXT NOT NULL,
        "status" TEXT NOT NULL,
        "target_id" TEXT,
        "error" TEXT,
        "at" TEXT NOT NULL,
        PRIMARY KEY ("restore_id", "content_type", "source_id")
    ) WITHOUT ROWID""",
)


# Append only: each migration runs once, in order, committed together with its record.
MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "initial",
        (
            """CREATE TABLE "runs" (
                "run_id" INTEGER PRIMARY KEY,
                "started_at" TEXT NOT NULL,
                "finished_at" TEXT,
                "status" TEXT NOT NULL,
                "options" TEXT NOT NULL DEFAULT '{}',
                "counts" TEXT NOT NULL DEFAULT '{}',
                "stats" TEXT NOT NULL DEFAULT '{}',
                "looker_url" TEXT NOT NULL,
                "looker_release" TEXT,
                "api_version" TEXT,
                "tool_version" TEXT NOT NULL,
                "resumes" INTEGER NOT NULL DEFAULT 0
            )""",
            # A rowid table, not WITHOUT ROWID: payloads are often larger than the ~1/20 page
            # that SQLite recommends as the ceiling for WITHOUT ROWID rows.
            """CREATE TABLE "items" (
                "content_type" TEXT NOT NULL,
                "item_id" TEXT NOT NULL,
                "content" BLOB NOT NULL,
                "title" TEXT,
                "folder_id" TEXT,
                "owner_id" TEXT,
                "created_at" TEXT,
                "updated_at" TEXT,
                "deleted" INTEGER NOT NULL DEFAULT 0,
                "size" INTEGER NOT NULL,
                "content_hash" TEXT NOT NULL,
                "run_id" INTEGER NOT NULL REFERENCES "runs" ("run_id"),
                "extracted_at" TEXT NOT NULL,
                "gone_run_id" INTEGER REFERENCES "runs" ("run_id"),
                "gone_at" TEXT,
                PRIMARY KEY ("content_type", "item_id")
            )""",
            'CREATE INDEX "items_by_run" ON "items" ("content_type", "run_id")',
            """CREATE TABLE "checkpoints" (
                "run_id" INTEGER NOT NULL REFERENCES "runs" ("run_id"),
                "content_type" TEXT NOT NULL,
                "key" TEXT NOT NULL,
                "done_at" TEXT NOT NULL,
                PRIMARY KEY ("run_id", "content_type", "key")
            ) WITHOUT ROWID""",
            """CREATE TABLE "failures" (
                "run_id" INTEGER NOT NULL REFERENCES "runs" ("run_id"),
                "content_type" TEXT NOT NULL,
                "key" TEXT NOT NULL,
                "error" TEXT NOT NULL,
                "attempts" INTEGER NOT NULL DEFAULT 1,
                "last_at" TEXT NOT NULL,
                PRIMARY KEY ("run_id", "content_type", "key")
            ) WITHOUT ROWID""",
        ),
    ),
    Migration(2, "history", _HISTORY_STATEMENTS),
    Migration(3, "telemetry", _TELEMETRY_STATEMENTS),
    Migration(4, "restore", _RESTORE_STATEMENTS),
    # Whether a run's API user saw everything ('admin') or less ('limited': no trash, only its
    # own schedules and alerts, users without emails); NULL for runs before this migration.
    Migration(5, "access", ('ALTER TABLE "runs" ADD COLUMN "access" TEXT',)),
)
SCHEMA_VERSION: int = MIGRATIONS[-1].version

_CREATEMIGRATIONS_TABLE = """CREATE TABLE IF NOT EXISTS "migrations" (
    "version" INTEGER PRIMARY KEY,
    "name" TEXT NOT NULL,
    "applied_at" TEXT NOT NULL
)"""


def _applied_versions(conn: sqlite3.Connection) -> set[int]:
    exists = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'migrations'"
    ).fetchone()
    if not exists:
        return set()
    return {version for (version,) in conn.execute('SELECT "version" FROM "migrations"')}


def _apply_migration(conn: sqlite3.Connection, migration: Migration, *, new: bool) -> bool:
    """Apply one migration unless another process did first; runs inside the write lock."""
    conn.execute(_CREATEMIGRATIONS_TABLE)
    if migration.version in _applied_versions(conn):
        return False
    for statement in migration.statements:
        conn.execute(statement)
    conn.execute(
        'INSERT INTO "migrations" ("version", "name", "applied_at") VALUES (?, ?, ?)',
        (migration.version, migration.name, utc_now()),
    )
    # The newest migration recorded, even when this one was applied late (a hand-rolled-back vault).
    conn.execute(f"PRAGMA user_version = {int(max(_applied_versions(conn)))}")
    if new:  # creating a vault is no news; upgrading an existing one is
        logger.debug("new vault: schema %d (%s)", migration.version, migration.name)
    else:
        logger.info("vault migrated to schema %d (%s)", migration.version, migration.name)
    return True


def check_schema(conn: sqlite3.Connection, path: Path) -> None:
    """Refuse vaults from a newer lookervault and SQLite files that are not vaults."""
    (version,) = conn.execute("PRAGMA user_version").fetchone()
    if version > SCHEMA_VERSION:
        raise VaultError(
            f"cannot open vault at {path}: schema version {version} is newer than this "
            f"lookervault supports ({SCHEMA_VERSION}); upgrade lookervault"
        )
    if version == 0:
        foreign = conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' "
            "AND name NOT LIKE 'sqlite_%' AND name <> 'migrations'"
        ).fetchall()
        if foreign:
            raise VaultError(f"cannot open vault at {path}: not a LookerVault database")


def migrate(conn: sqlite3.Connection) -> tuple[str, ...]:
    """Apply every pending migration; returns the names applied now."""
    applied = _applied_versions(conn)
    # user_version 0: check_schema found no table, so this vault is being created, not upgraded.
    new = conn.execute("PRAGMA user_version").fetchone()[0] == 0
    names = []
    for migration in MIGRATIONS:
        if migration.version in applied:
            continue
        if write_retrying(conn, functools.partial(_apply_migration, migration=migration, new=new)):
            names.append(migration.name)
    return tuple(names)
