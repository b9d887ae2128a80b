"""Helpers shared by the vault tests: items, one-batch writes, file modes and raw SQL reads."""

from __future__ import annotations

import sqlite3
import stat
from pathlib import Path

from lookervault.vault.records import Batch, ItemRecord
from lookervault.vault.store import Vault

__all__ = ["file_mode", "make_item", "raw_rows", "write_batch"]


def make_item(item_id: str, content_type: str = "dashboards", **content: object) -> ItemRecord:
    """An item whose content is ``{"id": item_id, **content}`` and title ``t<id>``."""
    return ItemRecord(content_type, item_id, {"id": item_id, **content}, title=f"t{item_id}")


def write_batch(vault: Vault, batch: Batch) -> None:
    """Commit one batch through a writer of its own."""
    with vault.writer() as writer:
        writer.write(batch)


def file_mode(path: Path) -> int:
    """The permission bits of ``path``."""
    return stat.S_IMODE(path.stat().st_mode)


def raw_rows(vault: Vault, sql: str, params: tuple = ()) -> list[tuple]:
    """Rows of ``sql`` read through a connection of sqlite3's own, outside the vault."""
    with sqlite3.connect(vault.path) as conn:
        rows = conn.execute(sql, params).fetchall()
    conn.close()
    return rows
