"""HTTP plumbing of the mock: ASGI types, Looker's JSON error body, header reading, sending."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import orjson

__all__ = ["DOCUMENTATION_URL"]

_Scope = dict[str, Any]
_Receive = Callable[[], Awaitable[dict[str, Any]]]
_Send = Callable[[dict[str, Any]], Awaitable[None]]
_Headers = list[tuple[bytes, bytes]]


DOCUMENTATION_URL = "https://cloud.google.com/looker/docs/r/api/support"
_JSON_HEADERS: _Headers = [(b"content-type", b"application/json; charset=utf-8")]


@dataclass
class _Response:
    status: int
    body: bytes = b""
    headers: _Headers = field(default_factory=list)
    content_headers: _Headers = field(default_factory=lambda: _JSON_HEADERS)


def _error(status: int, message: str, headers: _Headers | None = None) -> _Response:
    body = orjson.dumps({"message": message, "documentation_url": DOCUMENTATION_URL})
    return _Response(status, body, headers or [])


def _not_found() -> _Response:
    return _error(404, "Not found")


def _bearer_token(headers: Iterable[tuple[bytes, bytes]]) -> str | None:
    for name, value in headers:
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            if scheme.lower() in ("token", "bearer") and token.strip():
                return token.strip()
    return None


def _header(headers: Iterable[tuple[bytes, bytes]], wanted: bytes) -> str | None:
    for name, value in headers:
        if name == wanted:
            return value.decode("latin-1")
    return None


async def _read_body(receive: _Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _send(send: _Send, response: _Response) -> None:
    headers = [
        *response.content_headers,
        (b"content-length", str(len(response.body)).encode()),
        *response.headers,
    ]
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    await send({"type": "http.response.body", "body": response.body})
