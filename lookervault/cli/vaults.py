"""What every reading command does first: open an existing vault, check a content type name."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from lookervault.errors import UsageError

__all__ = ["check_type", "open_vault"]

if TYPE_CHECKING:
    from lookervault.vault.store import Vault


def open_vault(db: Path) -> Vault:
    """An existing vault (reading commands never create one)."""
    from lookervault.vault.store import Vault

    if not db.exists():
        raise UsageError(f"no vault at {db}")
    return Vault(db)


def check_type(name: str) -> str:
    """The content type name, checked (UsageError listing the valid ones otherwise)."""
    from lookervault.content import check_names

    check_names([name])
    return name
