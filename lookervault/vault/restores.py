"""The vault's record of restores: runs, the id map (backed-up id -> id in Looker) and steps.

A create is bracketed: `intend` before the POST, `record` after it, which writes the id map and
the step in one transaction. A restore killed between the two finds the pending intent on
`--resume` and looks for the object in Looker before posting again.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lookervault.vault.connection import utc_now

if TYPE_CHECKING:
    from lookervault.vault.store import Vault

__all__ = ["PENDING", "RestoreLedger", "RestoreRecord", "StepRecord"]

PENDING = "pending"  # a step whose create was sent and may have happened


@dataclass(frozen=True, slots=True)
class RestoreRecord:
    """One restore as recorded."""

    restore_id: int
    started_at: str
    finished_at: str | None
    status: str
    source_run_id: int | None
    options: dict[str, Any]


@dataclass(frozen=True, slots=True)
class StepRecord:
    """What one restore did to one object."""

    content_type: str
    source_id: str
    action: str
    status: str  # "done", "failed" or PENDING
    target_id: str | None
    error: str | None


_STEP = (
    'INSERT INTO "restore_steps" ("restore_id", "content_type", "source_id", "action", "status", '
    '"target_id", "error", "at") VALUES (?, ?, ?, ?, ?, ?, ?, ?) '
    'ON CONFLICT ("restore_id", "content_type", "source_id") DO UPDATE SET '
    '"action" = excluded."action", "status" = excluded."status", '
    '"target_id" = excluded."target_id", "error" = excluded."error", "at" = excluded."at"'
)
_MAP = (
    'INSERT INTO "id_map" ("content_type", "source_id", "target_id", "restore_id", "mapped_at") '
    'VALUES (?, ?, ?, ?, ?) ON CONFLICT ("content_type", "source_id") DO UPDATE SET '
    '"target_id" = excluded."target_id", "restore_id" = excluded."restore_id", '
    '"mapped_at" = excluded."mapped_at"'
)


class RestoreLedger:
    """Reads and writes the restore tables of one open vault."""

    def __init__(self, vault: Vault) -> None:
        self._vault = vault

    def start(self, source_run_id: int | None, options: dict[str, Any], looker_url: str) -> int:
        """Record a new restore; returns its id."""
        sql = (
            'INSERT INTO "restores" ("started_at", "status", "source_run_id", "options", '
            '"looker_url") VALUES (?, ?, ?, ?, ?)'
        )
        params = (utc_now(), "running", source_run_id, json.dumps(options), looker_url)
        return int(
            self._vault._write("start a restore", lambda c: c.execute(sql, params).lastrowid)
        )

    def finish(self, restore_id: int, status: str) -> None:
        """Close a restore with its status."""
        sql = 'UPDATE "restores" SET "status" = ?, "finished_at" = ? WHERE "restore_id" = ?'
        self._vault._write(
            "finish a restore", lambda c: c.execute(sql, (status, utc_now(), restore_id))
        )

    def last_unfinished(self) -> RestoreRecord | None:
        """The latest restore not finished "ok" (what --resume continues), or None."""
        rows = self.restores()
        return rows[-1] if rows and rows[-1].status != "ok" else None

    def restores(self) -> list[RestoreRecord]:
        """Every restore, oldest first."""
        sql = (
            'SELECT "restore_id", "started_at", "finished_at", "status", "source_run_id", '
            '"options" FROM "restores" ORDER BY "restore_id"'
        )
        with self._vault._using("read restores") as conn:
            rows = conn.execute(sql).fetchall()
        return [RestoreRecord(*row[:5], json.loads(row[5])) for row in rows]

    def id_map(self) -> dict[str, dict[str, str]]:
        """Every mapping: content type -> backed-up id -> id in Looker."""
        sql = 'SELECT "content_type", "source_id", "target_id" FROM "id_map"'
        mapping: dict[str, dict[str, str]] = {}
        with self._vault._using("read the id map") as conn:
            for kind, source, target in conn.execute(sql):
                mapping.setdefault(kind, {})[source] = target
        return mapping

    def intend(self, restore_id: int, kind: str, source_id: str, action: str) -> None:
        """Record that a create is about to be sent (found again by `--resume`)."""
        params = (restore_id, kind, source_id, action, PENDING, None, None, utc_now())
        self._vault._write("record a restore step", lambda c: c.execute(_STEP, params))

    def map(self, restore_id: int, kind: str, source_id: str, target_id: str) -> None:
        """Record a created object in the id map; its step stays pending until `record`."""
        params = (kind, source_id, target_id, restore_id, utc_now())
        self._vault._write("record the id map", lambda c: c.execute(_MAP, params))

    def record(
        self, restore_id: int, kind: str, source_id: str, action: str, target_id: str | None
    ) -> None:
        """A step done: the id map (for a new object: another id) and the step, in one transaction."""

        def work(conn: sqlite3.Connection) -> None:
            now = utc_now()
            if target_id is not None and target_id != source_id:
                conn.execute(_MAP, (kind, source_id, target_id, restore_id, now))
            conn.execute(_STEP, (restore_id, kind, source_id, action, "done", target_id, None, now))

        self._vault._write("record a restore step", work)

    def fail(self, restore_id: int, kind: str, source_id: str, action: str, error: str) -> None:
        """A step that failed, with Looker's one-line reason."""
        params = (restore_id, kind, source_id, action, "failed", None, error, utc_now())
        self._vault._write("record a restore step", lambda c: c.execute(_STEP, params))

    def steps(self, restore_id: int) -> list[StepRecord]:
        """The steps of one restore in the order recorded."""
        sql = (
            'SELECT "content_type", "source_id", "action", "status", "target_id", "error" '
            'FROM "restore_steps" WHERE "restore_id" = ? ORDER BY "at", "content_type", "source_id"'
        )
        with self._vault._using("read restore steps") as conn:
            return [StepRecord(*row) for row in conn.execute(sql, (restore_id,))]

    def pending(self) -> set[tuple[str, str]]:
        """(kind, source id) of every create sent (or failed) and not done since: it may exist."""
        sql = (
            'SELECT DISTINCT s."content_type", s."source_id" FROM "restore_steps" AS s '
            'WHERE s."status" <> \'done\' AND NOT EXISTS (SELECT 1 FROM "restore_steps" AS d '
            'WHERE d."content_type" = s."content_type" AND d."source_id" = s."source_id" '
            'AND d."status" = \'done\' AND d."restore_id" >= s."restore_id")'
        )
        with self._vault._using("read restore steps") as conn:
            pending = conn.execute(sql).fetchall()
        return {(str(k), str(s)) for k, s in pending}
