"""What Looker's answers and transport failures mean, in one line a Looker admin can act on."""

from __future__ import annotations

from typing import Any

import httpx

from lookervault import jsonio
from lookervault.errors import ConnectError
from lookervault.looker.retry import is_certificate_error

__all__ = [
    "connect_error",
    "describe_transport",
    "is_looker_error",
    "looker_message",
    "no_api_error",
]


def looker_message(response: httpx.Response) -> str:
    """Looker's ``message`` from an error body, else the HTTP reason phrase."""
    try:
        body = jsonio.loads(response.content) if response.content.strip() else None
    except ValueError:
        body = None
    message = body.get("message") if isinstance(body, dict) else None
    if isinstance(message, str) and message:
        return message + _validation_errors(body)
    return response.reason_phrase or "error"


def _validation_errors(body: Any) -> str:
    """Looker's 422 details (``errors``: field and message each), as ": field: message; ..."."""
    errors = body.get("errors") if isinstance(body, dict) else None
    if not isinstance(errors, list):
        return ""
    parts = [
        f"{error.get('field')}: {error.get('message')}"
        for error in errors
        if isinstance(error, dict) and error.get("message")
    ]
    return (": " + "; ".join(parts)) if parts else ""


def describe_transport(exc: httpx.HTTPError) -> str:
    reason = str(exc)
    return f"{type(exc).__name__}: {reason}" if reason else type(exc).__name__


def connect_error(base_url: str, exc: httpx.HTTPError) -> ConnectError:
    if is_certificate_error(exc):
        return ConnectError(
            f"cannot connect to {base_url}: its TLS certificate failed verification; if you "
            "trust this host, turn verification off with LOOKERSDK_VERIFY_SSL=false "
            "(or verify_ssl=false in looker.ini)"
        )
    return ConnectError(f"cannot connect to {base_url}: {describe_transport(exc)}")


def is_looker_error(response: httpx.Response) -> bool:
    """Whether the answer is Looker's JSON error body, ``{"message": ...}``."""
    try:
        body = jsonio.loads(response.content)
    except ValueError:
        return False
    return isinstance(body, dict) and "message" in body


def no_api_error(base_url: str, login_url: str, response: httpx.Response) -> ConnectError:
    if "html" in response.headers.get("content-type", ""):
        what = "an HTML page"
    else:
        what = "an empty body" if not response.content else "a body that is not Looker's"
    return ConnectError(
        f"no Looker API at {base_url}: POST {login_url} answered 404 with {what}; set "
        "base_url to the API host (e.g. https://company.looker.com), without a path"
    )
