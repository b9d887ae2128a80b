"""Telemetry (view counts, last-run times) is not content: hash items without it, name its fields."""

from __future__ import annotations

import functools
import hashlib
from typing import Any

import msgspec

from lookervault.content import telemetry_fields

__all__ = ["content_key", "is_telemetry"]

_OBJECT = msgspec.json.Decoder(dict[str, msgspec.Raw])
_ARRAY = msgspec.json.Decoder(list[msgspec.Raw])
_ENCODE = msgspec.json.encode
_WHITESPACE = b" \t\r\n"
# A tree of path segments: None marks a telemetry field (dropped), a dict a field to descend into.
Tree = dict[str, Any]


@functools.lru_cache(maxsize=64)
def _tree(content_type: str) -> Tree:
    tree: Tree = {}
    for path in telemetry_fields(content_type):
        *parents, leaf = path.split("/")
        node = tree
        for segment in parents:
            node = node.setdefault(segment, {})
        node[leaf] = None
    return tree


def _feed(data: bytes, tree: Tree, sha: Any) -> None:
    """Hash ``data`` without the fields ``tree`` names, parsing only what leads to them."""
    data = data.strip(_WHITESPACE)
    if data[:1] == b"{":
        sha.update(b"{")
        for key, raw in _OBJECT.decode(data).items():
            sub = tree.get(key, tree)  # `tree` itself: not named, hashed as sent
            if sub is None:
                continue
            sha.update(_ENCODE(key) + b":")
            if sub is tree:
                sha.update(bytes(raw))
            else:
                _feed(bytes(raw), sub, sha)
            sha.update(b",")
        sha.update(b"}")
    elif data[:1] == b"[" and "*" in tree:
        sha.update(b"[")
        for raw in _ARRAY.decode(data):
            _feed(bytes(raw), tree["*"], sha)
            sha.update(b",")
        sha.update(b"]")
    else:
        sha.update(data)


def content_key(content_type: str, data: bytes, digest: str) -> str:
    """The sha256 of an item's bytes without its type's telemetry (``digest`` when it has none).

    Items of types without telemetry fields are not parsed at all; the others are split with
    msgspec only along the paths that lead to telemetry fields.
    """
    tree = _tree(content_type)
    if not tree:
        return digest
    sha = hashlib.sha256(b"core:")
    try:
        _feed(data, tree, sha)
    except (msgspec.DecodeError, UnicodeDecodeError):
        return digest
    return sha.hexdigest()


def _unescape(segment: str) -> str:
    return segment.replace("~1", "/").replace("~0", "~")


def is_telemetry(content_type: str, pointer: str) -> bool:
    """Whether a JSON Pointer (``/dashboard_elements/0/look/view_count``) is telemetry, or in it."""
    segments = [_unescape(s) for s in pointer.split("/")[1:]]
    for path in telemetry_fields(content_type):
        pattern = path.split("/")
        if len(segments) >= len(pattern) and all(
            p == s or (p == "*" and s.isdigit()) for p, s in zip(pattern, segments, strict=False)
        ):
            return True
    return False
