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
    """The registered name of a content type given in any case, singular or plural.

    Raises:
        UsageError: not a content type; the message suggests the nearest name.
    """
    from lookervault.content import check_names

    return check_names([name])[0]
