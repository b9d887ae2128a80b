"""Verification of a vault: SQLite integrity, content against its hashes, counts, references."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from typing import Any

from lookervault.errors import ExitCode
from lookervault.history import _FULL_HISTORY, _snapshot_counts
from lookervault.vault.store import Vault

__all__ = [
    "MAX_PROBLEMS_PER_CHECK",
    "VERIFY_BLOB_CHUNK",
    "VERIFY_FAILED",
    "VerifyReport",
    "verify_vault",
]


logger = logging.getLogger(__name__)

# Blobs are hashed in chunks so the control connection is never held for the whole scan.
VERIFY_BLOB_CHUNK = 500
MAX_PROBLEMS_PER_CHECK = 20
# Exit status of `lookervault verify` when the vault has problems: distinct from 1 (a crash).
VERIFY_FAILED = ExitCode.VERIFY_FAILED


@dataclass(slots=True)
class VerifyReport:
    """The outcome of `verify_vault`: problems per check (empty lists: all good)."""

    checks: dict[str, list[str]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    blobs_checked: int = 0

    @property
    def ok(self) -> bool:
        """True when no check found a problem."""
        return not any(self.checks.values())

    def as_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "ok": self.ok,
            "checks": self.checks,
            "notes": self.notes,
            "blobs_checked": self.blobs_checked,
        }


# (label, SQL listing the offenders) for every reference that must resolve.
_DANGLING: tuple[tuple[str, str], ...] = (
    (
        "items whose content is missing",
        'SELECT i."content_type" || \' \' || i."item_id" FROM "items" AS i '
        'WHERE NOT EXISTS (SELECT 1 FROM "blobs" AS b WHERE b."hash" = i."content_hash")',
    ),
    (
        "versions of missing items or content",
        'SELECT \'version \' || v."version_id" FROM "versions" AS v '
        'WHERE NOT EXISTS (SELECT 1 FROM "items" AS i WHERE i."item_key" = v."item_key") '
        'OR NOT EXISTS (SELECT 1 FROM "blobs" AS b WHERE b."blob_id" = v."blob_id")',
    ),
    (
        "run rows pointing nowhere",
        'SELECT \'run \' || r."run_id" || \' item \' || r."item_key" FROM "run_items" AS r '
        'WHERE NOT EXISTS (SELECT 1 FROM "runs" AS u WHERE u."run_id" = r."run_id") '
        'OR NOT EXISTS (SELECT 1 FROM "items" AS i WHERE i."item_key" = r."item_key") '
        'OR (r."version_id" IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "versions" AS v '
        'WHERE v."version_id" = r."version_id" AND v."item_key" = r."item_key"))',
    ),
    (
        "latest state differs from its run",
        'SELECT i."content_type" || \' \' || i."item_id" FROM "items" AS i '
        'JOIN "runs" AS u ON u."run_id" = i."run_id" AND u."history" = \'full\' '
        'WHERE i."gone_run_id" IS NULL AND NOT EXISTS (SELECT 1 FROM "run_items" AS r '
        'JOIN "versions" AS v ON v."version_id" = r."version_id" '
        'JOIN "blobs" AS b ON b."blob_id" = v."blob_id" '
        'WHERE r."run_id" = i."run_id" AND r."item_key" = i."item_key" '
        'AND b."hash" = i."content_hash")',
    ),
)


def _capped(problems: list[str]) -> list[str]:
    if len(problems) <= MAX_PROBLEMS_PER_CHECK:
        return problems
    extra = len(problems) - MAX_PROBLEMS_PER_CHECK
    return [*problems[:MAX_PROBLEMS_PER_CHECK], f"... and {extra} more"]


def _check_integrity(vault: Vault) -> list[str]:
    with vault.reading("check integrity") as conn:
        rows = [str(row[0]) for row in conn.execute("PRAGMA integrity_check")]
        rows += [
            f"{table} row {rowid}: no {parent} row"
            for table, rowid, parent, _ in conn.execute("PRAGMA foreign_key_check")
        ]
    return [] if rows == ["ok"] else [row for row in rows if row != "ok"]


def _check_blobs(vault: Vault, report: VerifyReport) -> list[str]:
    sql = (
        'SELECT "blob_id", "hash", "size", "content" FROM "blobs" '
        'WHERE "blob_id" > ? ORDER BY "blob_id" LIMIT ?'
    )
    problems, last = [], -1
    while True:
        with vault.reading("check content hashes") as conn:
            rows = conn.execute(sql, (last, VERIFY_BLOB_CHUNK)).fetchall()
        for blob_id, digest, size, content in rows:
            data = bytes(content)
            if hashlib.sha256(data).hexdigest() != digest or len(data) != size:
                problems.append(f"blob {blob_id}: content does not match its hash {digest}")
        report.blobs_checked += len(rows)
        if len(rows) < VERIFY_BLOB_CHUNK:
            return problems
        last = rows[-1][0]


def _check_counts(vault: Vault, report: VerifyReport) -> list[str]:
    problems = []
    for run in vault.runs():
        if run["history"] != _FULL_HISTORY:
            report.notes.append(f"run {run['run_id']}: recorded before history, counts not checked")
            continue
        if run["status"] == "running" or not run["counts"]:
            continue
        rows = _snapshot_counts(vault, run["run_id"])
        for name in sorted(set(run["counts"]) | set(rows)):
            recorded, actual = run["counts"].get(name, 0), rows.get(name, 0)
            if recorded != actual:
                problems.append(
                    f"run {run['run_id']} {name}: recorded {recorded} items, snapshot has {actual}"
                )
    return problems


def _check_references(vault: Vault) -> list[str]:
    problems = []
    with vault.reading("check references") as conn:
        for label, sql in _DANGLING:
            problems += [f"{label}: {row[0]}" for row in conn.execute(sql)]
    return problems


def _orphan_blobs(vault: Vault) -> int:
    sql = (
        'SELECT COUNT(*) FROM "blobs" AS b WHERE NOT EXISTS '
        '(SELECT 1 FROM "versions" AS v WHERE v."blob_id" = b."blob_id")'
    )
    with vault.reading("count unused content") as conn:
        return int(conn.execute(sql).fetchone()[0])


def verify_vault(vault: Vault) -> VerifyReport:
    """Check SQLite's integrity, every blob against its hash, run counts and references."""
    report = VerifyReport()
    report.checks["integrity"] = _capped(_check_integrity(vault))
    report.checks["content hashes"] = _capped(_check_blobs(vault, report))
    report.checks["run counts"] = _capped(_check_counts(vault, report))
    report.checks["references"] = _capped(_check_references(vault))
    orphans = _orphan_blobs(vault)
    if orphans:
        report.notes.append(f"{orphans} stored contents are no longer used by any item")
    logger.info("verified %s: %s", vault.path, "ok" if report.ok else "problems found")
    return report
