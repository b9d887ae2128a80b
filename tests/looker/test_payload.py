"""Splitting Looker's JSON into item bytes without losing a byte."""

from __future__ import annotations

import json

import pytest

from lookervault.errors import PayloadShapeError
from lookervault.looker.payload import read_fields, split_document, split_page


def test_items_keep_their_exact_bytes() -> None:
    """Unknown fields, spacing, key order, NFD accents, emoji and big ints stay byte-identical."""
    first = '{"zeta": 1, "id": "7", "x_new": {"a": [null, 1e400]}, "title": "Cafe\u0301 👩‍💻"}'
    second = '{"id":8,"n":123456789012345678901234567890}'
    body = f"[ {first} ,\n{second}]".encode()
    assert split_page(body) == [first.encode(), second.encode()]


def test_fields_are_read_and_the_rest_skipped() -> None:
    """Only the indexed fields are decoded; a big integer id stays exact."""
    fields = read_fields(
        b'{"id": 123456789012345678901234567890, "title": null, "deep": {"x": [1]}}'
    )
    assert fields.id == 123456789012345678901234567890 and fields.title is None


@pytest.mark.parametrize("body", [b"[1,", b"<html>oops</html>", b'["\xff"]', b""])
def test_broken_bodies_are_value_errors(body: bytes) -> None:
    """Truncated JSON, HTML and non-UTF-8 bytes are ValueErrors: the client retries them."""
    with pytest.raises(ValueError):
        split_page(body)
    with pytest.raises(ValueError):
        split_document(body)


def test_wrong_shapes_are_not_retried() -> None:
    """An object where a list belongs, or a list where an item belongs, is a shape error."""
    with pytest.raises(PayloadShapeError):
        split_page(b'{"message": "not a list"}')
    with pytest.raises(PayloadShapeError):
        read_fields(b"[1, 2]")
    assert not issubclass(PayloadShapeError, ValueError)


def test_lone_surrogates_fall_back_to_the_lenient_reader() -> None:
    """JSON that msgspec refuses but Python reads (a lone surrogate) is kept, still escaped."""
    items = split_page(b'[{"id": 1, "title": "\\ud800"}]')
    assert json.loads(items[0]) == {"id": 1, "title": "\ud800"}
    assert read_fields(items[0]).id == 1


@pytest.mark.parametrize(
    "body",
    [
        b'[{"id": 1}, {"id": 2, "t": "ok \xff"}]',  # a later item, inside a string
        b'[{"id": 1, "t": "\xc3"}]',  # a truncated two-byte sequence
        b'[{"id": 1, "t": "\xed\xa0\x80"}]',  # an encoded surrogate: not UTF-8
        b'{"t": "\xff"}',  # not UTF-8 and the wrong shape: still a retried ValueError
    ],
)
def test_each_item_is_checked_for_utf8(body: bytes) -> None:
    """Only non-ASCII items are decoded to check them, and any bad byte in any item is found."""
    with pytest.raises(ValueError):
        split_page(body)


def test_non_ascii_items_pass_the_check_unchanged() -> None:
    """ASCII and non-ASCII items side by side keep their bytes."""
    items = [b'{"id":1,"t":"plain"}', '{"id":2,"t":"Zoë 📊"}'.encode()]
    assert split_page(b"[" + b",".join(items) + b"]") == items
