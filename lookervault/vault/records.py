"""What a backup hands the vault: items as extracted, failures, and the batch one writer commits."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["Batch", "Failure", "ItemRecord"]


@dataclass(frozen=True, slots=True)
class ItemRecord:
    """One Looker object as extracted, with a few columns lifted out for queries."""

    content_type: str
    item_id: str
    content: Any  # parsed JSON exactly as Looker sent it (bytes are stored verbatim as JSON)
    title: str | None = None
    folder_id: str | None = None
    owner_id: str | None = None
    created_at: str | None = None
    updated_at: str | None = None
    deleted: bool = False


@dataclass(frozen=True, slots=True)
class Failure:
    """A page or item that could not be extracted in a run."""

    content_type: str
    key: str
    error: str


@dataclass(frozen=True, slots=True)
class Batch:
    """Everything one writer commits in a single transaction."""

    run_id: int
    items: tuple[ItemRecord, ...] = ()
    checkpoints: tuple[tuple[str, str], ...] = ()
    failures: tuple[Failure, ...] = ()
    gone: tuple[tuple[str, str], ...] = ()
