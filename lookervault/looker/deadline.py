"""Per-request timeouts for the few requests that need longer (or shorter) than the connection's.

Explores take minutes to render on a real Looker; the caller sets a timeout for the requests it
makes inside `request_timeout(...)`, and the client reads it when it sends. A context variable
keeps the client's signature unchanged and scopes the timeout to the task that set it.
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
from collections.abc import Generator
from typing import Any

import httpx

from lookervault.errors import ApiError
from lookervault.looker.retry import IDEMPOTENT

__all__ = ["SPLITTABLE", "is_slow", "request_timeout", "timeout_kwargs"]

_GATEWAY_TIMEOUT = 504

_TIMEOUT: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "lookervault_request_timeout", default=None
)


@contextlib.contextmanager
def request_timeout(seconds: float | None) -> Generator[None]:
    """Requests sent inside this block (by this task) time out after `seconds` (None: default)."""
    token = _TIMEOUT.set(seconds)
    try:
        yield
    finally:
        _TIMEOUT.reset(token)


def timeout_kwargs() -> dict[str, Any]:
    """httpx keyword arguments for the current timeout: none when the connection's applies."""
    seconds = _TIMEOUT.get()
    return {} if seconds is None else {"timeout": httpx.Timeout(seconds)}


# For a page that can still be split: a timeout or 504 is answered by a smaller page, not by the
# same request again (transport errors other than timeouts, 429 and other 5xx are still retried).
SPLITTABLE = dataclasses.replace(
    IDEMPOTENT,
    name="splittable page",
    statuses=IDEMPOTENT.statuses - {_GATEWAY_TIMEOUT},
    # every transport error but a read timeout (the server took too long to answer)
    exceptions=(
        httpx.NetworkError,
        httpx.ProtocolError,
        httpx.ProxyError,
        httpx.ConnectTimeout,
        httpx.WriteTimeout,
        httpx.PoolTimeout,
    ),
)


def is_slow(exc: ApiError) -> bool:
    """Whether Looker (or a proxy in front of it) gave up building the answer: 504 or a timeout."""
    return exc.status == _GATEWAY_TIMEOUT or isinstance(exc.__cause__, httpx.ReadTimeout)
