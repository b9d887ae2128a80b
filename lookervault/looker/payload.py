"""Looker's JSON exactly as sent: split pages into item bytes and read a few fields, parsing no more.

A backup must keep every byte of every item, including fields this code has never heard of, so
items are stored as the bytes the server sent. msgspec splits a page into `Raw` slices without
building Python objects for their contents and decodes only the handful of fields the vault
indexes, which is several times cheaper than parsing everything and serializing it again.
"""

from __future__ import annotations

import json
from typing import Any

import msgspec

from lookervault.errors import PayloadShapeError

__all__ = ["ItemFields", "read_fields", "split_document", "split_page"]


class ItemFields(msgspec.Struct):
    """The fields the registry may name for ids and the vault's metadata columns; the rest is skipped."""

    id: Any = None
    name: Any = None
    title: Any = None
    label: Any = None
    display_name: Any = None
    email: Any = None
    custom_title: Any = None
    lookml_field_name: Any = None
    folder_id: Any = None
    parent_id: Any = None
    personal_folder_id: Any = None
    user_id: Any = None
    creator_id: Any = None
    owner_id: Any = None
    created_at: Any = None
    updated_at: Any = None
    deleted: Any = None
    content_metadata_id: Any = None


_PAGE = msgspec.json.Decoder(list[msgspec.Raw])
_DOCUMENT = msgspec.json.Decoder(msgspec.Raw)
_FIELDS = msgspec.json.Decoder(ItemFields)


def _check_utf8(data: bytes) -> None:
    """Raise UnicodeDecodeError unless `data` is UTF-8; ASCII, most items, is not decoded.

    Decoding builds a str only to drop it: for a page with one emoji that is four bytes a
    character for the whole page, the largest cost of splitting before this check per item.
    """
    if not data.isascii():
        data.decode("utf-8")


def split_page(body: bytes) -> list[bytes]:
    """The items of a JSON array, each as the exact bytes the server sent.

    Raises:
        ValueError: the body is not UTF-8 JSON (a transient fault worth a retry).
        PayloadShapeError: the body is JSON but not an array.
    """
    try:
        items = [bytes(raw) for raw in _PAGE.decode(body)]
    except msgspec.ValidationError as exc:
        _check_utf8(body)
        raise PayloadShapeError(f"expected a JSON list of items: {exc}") from None
    except msgspec.DecodeError:
        _check_utf8(body)
        parsed = json.loads(body)  # lenient reader: lone surrogate escapes that msgspec refuses
        if not isinstance(parsed, list):
            raise PayloadShapeError("expected a JSON list of items") from None
        return [json.dumps(item, separators=(",", ":")).encode() for item in parsed]
    # msgspec skips over string contents without checking them; outside strings only JSON's
    # ASCII syntax passed it, so checking each item checks the whole body.
    for item in items:
        _check_utf8(item)
    return items


def split_document(body: bytes) -> bytes:
    """The body itself, once checked to be one UTF-8 JSON document.

    Raises:
        ValueError: the body is not UTF-8 JSON.
    """
    _check_utf8(body)
    try:
        _DOCUMENT.decode(body)
    except msgspec.DecodeError:
        json.loads(body)
    return body


def read_fields(item: bytes) -> ItemFields:
    """The indexed fields of one item.

    Raises:
        PayloadShapeError: the item is not a JSON object.
    """
    try:
        return _FIELDS.decode(item)
    except msgspec.ValidationError as exc:
        raise PayloadShapeError(f"expected a JSON object: {exc}") from None
    except msgspec.DecodeError:
        parsed = json.loads(item)
        if not isinstance(parsed, dict):
            raise PayloadShapeError("expected a JSON object") from None
        return ItemFields(**{k: parsed.get(k) for k in ItemFields.__struct_fields__})
