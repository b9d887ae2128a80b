"""Restore: bring content back from the vault into the Looker it came from (plan, apply, id map)."""

from __future__ import annotations

__all__: list[str] = []
