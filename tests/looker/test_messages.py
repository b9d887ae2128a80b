"""Looker's error bodies in one line: the message, and a 422's field errors after it."""

from __future__ import annotations

import httpx

from lookervault.looker.messages import looker_message


def test_validation_errors_are_named_after_the_message() -> None:
    """A 422 says which field Looker refused and why."""
    body = {
        "message": "Validation Failed",
        "errors": [{"field": "title", "code": "already_exists", "message": "Dashboard with this title already exists"}],
    }  # fmt: skip
    answer = httpx.Response(422, json=body)
    assert looker_message(answer) == (
        "Validation Failed: title: Dashboard with this title already exists"
    )


def test_plain_message_and_no_body() -> None:
    """Without errors the message alone; without a body the reason phrase."""
    assert looker_message(httpx.Response(404, json={"message": "Not found"})) == "Not found"
    assert looker_message(httpx.Response(503)) == "Service Unavailable"
