"""Verification of a vault: SQLite integrity, content against its hashes, counts, references."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from lookervault.errors import ExitCode
from lookervault.vault.queries import FULL_HISTORY
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
            # snake_case keys for scripts; the text output keeps the words ("content hashes")
            "checks": {name.replace(" ", "_"): problems for name, problems in self.checks.items()},
            "notes": self.notes,
            "blobs_checked": self.blobs_checked,
        }


def _capped(problems: list[str]) -> list[str]:
    if len(problems) <= MAX_PROBLEMS_PER_CHECK:
        return problems
    extra = len(problems) - MAX_PROBLEMS_PER_CHECK
    return [*problems[:MAX_PROBLEMS_PER_CHECK], f"... and {extra} more"]


def _check_integrity(vault: Vault) -> list[str]:
    rows = vault.queries.integrity_check()
    rows += [
        f"{v.table} row {v.rowid}: no {v.parent} row" for v in vault.queries.foreign_key_check()
    ]
    return [] if rows == ["ok"] else [row for row in rows if row != "ok"]


def _check_blobs(vault: Vault, report: VerifyReport, tell: Callable[[str], None]) -> list[str]:
    problems, last, total = [], -1, vault.queries.blob_count()
    while True:
        tell(f"hashing blobs {report.blobs_checked:,}/{total:,}")
        blobs = vault.queries.blobs_after(last, VERIFY_BLOB_CHUNK)
        for blob in blobs:
            data = blob.content
            if hashlib.sha256(data).hexdigest() != blob.hash or len(data) != blob.size:
                problems.append(f"blob {blob.blob_id}: content does not match its hash {blob.hash}")
        report.blobs_checked += len(blobs)
        if len(blobs) < VERIFY_BLOB_CHUNK:
            return problems
        last = blobs[-1].blob_id


def _check_counts(vault: Vault, report: VerifyReport) -> list[str]:
    problems = []
    for run in vault.runs():
        if run.history != FULL_HISTORY:
            report.notes.append(f"run {run.run_id}: recorded before history, counts not checked")
            continue
        if run.status == "running" or not run.counts:
            continue
        rows = vault.queries.snapshot_counts(run.run_id)
        for name in sorted(set(run.counts) | set(rows)):
            recorded, actual = run.counts.get(name, 0), rows.get(name, 0)
            if recorded != actual:
                problems.append(
                    f"run {run.run_id} {name}: recorded {recorded} items, snapshot has {actual}"
                )
    return problems


def _check_references(vault: Vault) -> list[str]:
    return [f"{label}: {offender}" for label, offender in vault.queries.dangling_references()]


def _silent(_status: str) -> None:
    pass


def verify_vault(vault: Vault, *, tell: Callable[[str], None] = _silent) -> VerifyReport:
    """Check SQLite's integrity, every blob against its hash, run counts and references.

    ``tell`` hears what is being checked now ("hashing blobs 1,000/51,000"), for a progress line.
    """
    report = VerifyReport()
    tell("checking integrity")
    report.checks["integrity"] = _capped(_check_integrity(vault))
    report.checks["content hashes"] = _capped(_check_blobs(vault, report, tell))
    tell("checking run counts")
    report.checks["run counts"] = _capped(_check_counts(vault, report))
    tell("checking references")
    report.checks["references"] = _capped(_check_references(vault))
    orphans = vault.queries.orphan_blob_count()
    if orphans:
        report.notes.append(f"{orphans} stored contents are no longer used by any item")
    logger.info("verified %s: %s", vault.path, "ok" if report.ok else "problems found")
    return report
