"""JSON in and out, fast where orjson can and exact where it cannot: the one place that chooses.

orjson is several times faster than the standard library, but it reads integers beyond 64 bits
as floats (silently losing digits), refuses some valid documents (1e400, lone surrogates) and
cannot write integers beyond 64 bits. Every reader and writer of JSON in LookerVault goes through
`loads` and `dumps`, which fall back to the standard library exactly where orjson would be wrong.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import orjson

__all__ = ["dumps", "has_long_integer", "loads"]

# Integers of 19+ digits may exceed 64 bits (-9223372036854775809): see has_long_integer.
_DIGIT_MASK = bytes(0x30 if 0x30 <= i <= 0x39 else 0x78 for i in range(256))  # digit -> "0"
_DIGIT_RUN = b"0" * 19


def has_long_integer(body: bytes) -> bool:
    """Whether a run of 19+ digits stands where a JSON number can start (not inside a string).

    Long digit runs inside strings (slugs, hashes) are common in Looker content; only a run
    after `:`, `[` or `,` (whitespace and a minus sign aside) can be a number. Masking the body
    with `bytes.translate` and searching it with `bytes.find` stays in C: a regex over a page
    of digits costs more than parsing it.
    """
    masked = body.translate(_DIGIT_MASK)
    start = masked.find(_DIGIT_RUN)
    while start != -1:
        i = start - 1
        while i >= 0 and body[i] in b" \t\r\n-":
            i -= 1
        if i < 0 or body[i] in b":[,":
            return True
        end = masked.find(b"x", start)
        if end == -1:
            return False
        start = masked.find(_DIGIT_RUN, end)
    return False


def loads(data: bytes | str) -> Any:
    """Parse JSON exactly: integers beyond 64 bits stay integers.

    Raises:
        ValueError: the text is not JSON (json.JSONDecodeError is a ValueError).
    """
    probe = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    if has_long_integer(probe):
        # The json module keeps such integers exact (and is ten times slower, so only here).
        return json.loads(data)
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return json.loads(data)  # e.g. 1e400, which orjson refuses and json reads as inf


def dumps(obj: Any, *, pretty: bool = False, default: Callable[[Any], Any] | None = None) -> bytes:
    """UTF-8 JSON: compact, or indented by two spaces with `pretty`; keys in their given order.

    Integers beyond 64 bits and lone surrogates, which orjson refuses, go through the standard
    library (lone surrogates as \\u escapes, the only way they stay valid JSON).
    """
    option = orjson.OPT_NON_STR_KEYS | (orjson.OPT_INDENT_2 if pretty else 0)
    try:
        return orjson.dumps(obj, default=default, option=option)
    except TypeError:  # orjson.JSONEncodeError is a TypeError
        pass
    layout: dict[str, Any] = {"indent": 2} if pretty else {"separators": (",", ":")}
    text = json.dumps(obj, default=default, ensure_ascii=False, **layout)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(obj, default=default, ensure_ascii=True, **layout).encode("ascii")
