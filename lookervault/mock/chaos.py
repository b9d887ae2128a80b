"""The fault knobs' machinery: 5xx statuses, spoiled bodies, big items, drops."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
import orjson

from lookervault.mock.data import MockData
from lookervault.mock.responses import _Headers, _Response, _Send
from lookervault.mock.routes import _id_key

__all__ = ["BIG_ITEM_FIELD", "FAULT_STATUSES", "DroppedConnectionError"]

FAULT_STATUSES = (500, 502, 503)
_FAULT_MESSAGES = {500: "Internal server error", 502: "Bad gateway", 503: "Service unavailable"}
# The proxy error page the html_rate knob serves with status 200.
_HTML_ERROR_PAGE = (
    b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head>"
    b"<body><h1>Bad Gateway</h1><p>The upstream server did not answer.</p></body></html>"
)
_HTML_HEADERS: _Headers = [(b"content-type", b"text/html; charset=utf-8")]
# Not UTF-8 at all: \xff and \xfe never occur in UTF-8 text.
_NON_UTF8_BODY = b'[{"id": "\xff\xfe", "title": "caf\xe9"}]'
BIG_ITEM_FIELD = "x_mock_big_blob"  # the field the big_item_bytes knob fills


class DroppedConnectionError(httpx.RemoteProtocolError):
    """Raised by the app to cut a response short on purpose (the drop_rate knob).

    In process (httpx.ASGITransport) the client sees this transport error directly; under uvicorn
    the server closes the socket mid-body and the client sees its own RemoteProtocolError.
    """


@dataclass(frozen=True)
class _Chaos:
    """What the chaos knobs decided for one request (drawn before routing, applied after)."""

    storm: bool = False
    stall: bool = False
    bad_json: bool = False
    html: bool = False
    shift: bool = False
    wrong_shape: bool = False
    wrong_item: bool = False
    variant: float = 0.0  # picks among the forms of a fault


def _add_big_item(data: MockData, size: int) -> None:
    """Give the first dashboard one field of `size` bytes (replacing the dict marks it changed)."""
    objects = data.objects["dashboards"]
    if not objects:
        return
    first = min(objects, key=_id_key)
    objects[first] = {**objects[first], BIG_ITEM_FIELD: "x" * size}


def _wrong_list(body: bytes, variant: float) -> bytes:
    """A list answer gone wrong: an object where the list belongs, an item without id, bad bytes."""
    if variant < 1 / 3:
        return b'{"items": ' + body + b"}"
    if variant < 2 / 3:
        items = orjson.loads(body)
        if items and isinstance(items[0], dict):
            items[0] = {k: v for k, v in items[0].items() if k not in ("id", "name")}
        return orjson.dumps(items) if items else b'[{"title": "no id"}]'
    return _NON_UTF8_BODY


def _wrong_item(body: bytes, variant: float) -> bytes:
    """A get-by-id answer gone wrong: a list where the object belongs, or the object without id."""
    obj = orjson.loads(body)
    if variant < 0.5 or not isinstance(obj, dict):
        return orjson.dumps([obj])
    return orjson.dumps({k: v for k, v in obj.items() if k not in ("id", "name")})


async def _send_truncated(send: _Send, response: _Response) -> None:
    """Announce the full length, send half the body, then fail so the connection breaks."""
    headers = [
        *response.content_headers,
        (b"content-length", str(len(response.body)).encode()),
        *response.headers,
    ]
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    body = response.body[: len(response.body) // 2]
    await send({"type": "http.response.body", "body": body, "more_body": True})
    raise DroppedConnectionError("mock dropped the connection mid-response")
