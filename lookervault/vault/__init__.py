"""The storage side: the SQLite vault, its schema, writes, typed reads, the id ledger and the run lock."""

from __future__ import annotations

__all__: list[str] = []
