"""Completeness: the vault (or the baseline's database) must equal the mock's ground truth."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import orjson

from lookervault.mock.data import canonical_hash
from lookervault.vault.store import Vault

__all__ = ["Completeness", "check_baseline", "check_vault", "compare"]

_SHOWN = 3  # ids named per kind of difference in the detail line


@dataclass(frozen=True)
class Completeness:
    """How a backup compares with the ground truth, item by item."""

    ok: bool
    expected: int
    found: int
    missing: int
    extra: int
    changed: int
    content_bytes: int
    detail: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def compare(
    truth: dict[str, dict[str, str]],
    got: dict[str, dict[str, str | None]],
    content_bytes: int = 0,
) -> Completeness:
    """Compare {type: {id: hash}} maps; a None hash in `got` means "compare the id only"."""
    missing = extra = changed = 0
    notes: list[str] = []
    for name in sorted(set(truth) | set(got)):
        want, have = truth.get(name, {}), got.get(name, {})
        lost = sorted(set(want) - set(have))
        more = sorted(set(have) - set(want))
        diff = sorted(
            i for i in set(want) & set(have) if have[i] is not None and have[i] != want[i]
        )
        missing, extra, changed = missing + len(lost), extra + len(more), changed + len(diff)
        if lost or more or diff:
            notes.append(
                f"{name}: missing {lost[:_SHOWN]} extra {more[:_SHOWN]} changed {diff[:_SHOWN]}"
            )
    return Completeness(
        ok=not (missing or extra or changed),
        expected=sum(len(v) for v in truth.values()),
        found=sum(len(v) for v in got.values()),
        missing=missing,
        extra=extra,
        changed=changed,
        content_bytes=content_bytes,
        detail="; ".join(notes)[:1000],
    )


def check_vault(db: Path, truth: dict[str, dict[str, str]]) -> Completeness:
    """Every item of the vault (latest state, gone excluded) hashed and compared with the truth."""
    got: dict[str, dict[str, str | None]] = {}
    size = 0
    with Vault(db) as vault:
        for content_type, item_id, content in vault.iter_items():
            size += len(content)
            got.setdefault(content_type, {})[item_id] = canonical_hash(orjson.loads(content))
    return compare(truth, got, size)


def check_baseline(db: Path, truth: dict[str, dict[str, str]]) -> Completeness:
    """The baseline script's table compared by (type, id): the SDK's models reshape the JSON."""
    got: dict[str, dict[str, str | None]] = {}
    size = 0
    with sqlite3.connect(db) as conn:
        rows: Iterable[tuple[str, str, bytes]] = conn.execute(
            "SELECT content_type, item_id, content FROM backup"
        )
        for content_type, item_id, content in rows:
            size += len(content)
            got.setdefault(content_type, {})[item_id] = None
    conn.close()
    return compare(truth, got, size)
