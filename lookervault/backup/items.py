"""Looker answers turned into vault records, so every job lifts ids and metadata the same way."""

from __future__ import annotations

from collections.abc import Iterable

from lookervault.content import ContentType
from lookervault.looker.payload import ItemFields
from lookervault.vault.records import ItemRecord

__all__ = ["error_line", "item_id", "record"]


def _first(fields: ItemFields, names: Iterable[str | None]) -> str | None:
    for name in names:
        value = getattr(fields, name) if name else None
        if value is not None and not isinstance(value, dict | list):
            return str(value)
    return None


def record(ct: ContentType, item_id: str, content: bytes, fields: ItemFields) -> ItemRecord:
    """An ItemRecord carrying the item's bytes untouched plus the metadata the registry names."""
    meta = ct.metadata
    return ItemRecord(
        content_type=ct.name,
        item_id=item_id,
        content=content,
        title=_first(fields, meta.title),
        folder_id=_first(fields, (meta.folder,)),
        owner_id=_first(fields, (meta.owner,)),
        created_at=_first(fields, (meta.created_at,)),
        updated_at=_first(fields, (meta.updated_at,)),
        deleted=fields.deleted is True,
    )


def item_id(ct: ContentType, fields: ItemFields) -> str | None:
    """The item's id as text; None when missing, empty or not a scalar."""
    value = getattr(fields, ct.id_key)
    if value is None or value == "" or isinstance(value, dict | list | bool):
        return None
    return str(value)


def error_line(exc: BaseException) -> str:
    """The first line of an error, as a failure records it."""
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
