"""The mock's paging and refusal knobs: capped and ignored limits, X-Total-Count, 403 and 404."""

from __future__ import annotations

from typing import Any

import httpx
import orjson
import pytest

from lookervault.mock.app import MockLooker, MockOptions
from lookervault.mock.cli import ServeFlags
from lookervault.mock.paging import split_types

pytestmark = pytest.mark.anyio


async def _get(mock: MockLooker, path: str, **params: Any) -> httpx.Response:
    transport = httpx.ASGITransport(app=mock)
    async with httpx.AsyncClient(transport=transport, base_url="http://mock") as client:
        login = await client.post(
            "/api/4.0/login",
            data={"client_id": mock.options.client_id, "client_secret": mock.options.client_secret},
        )
        token = login.json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        return await client.get(f"/api/4.0{path}", params=params, headers=headers)


def _mock(**knobs: Any) -> MockLooker:
    return MockLooker(MockOptions(preset="tiny", counts={"users": 50}, **knobs))


async def test_defaults_page_as_asked_without_total_count() -> None:
    """With no knob the mock honours limit and sends no X-Total-Count, as before."""
    answer = await _get(_mock(), "/users/search", limit=40, offset=0)
    assert len(answer.json()) == 40 and "x-total-count" not in answer.headers


async def test_max_limit_caps_pages() -> None:
    """--max-limit 15 answers 15 items to limit=40, and pages on from any offset."""
    mock = _mock(max_limit=15)
    first = await _get(mock, "/users/search", limit=40, offset=0, sorts="id")
    second = await _get(mock, "/users/search", limit=40, offset=15, sorts="id")
    ids = [u["id"] for u in first.json() + second.json()]
    assert len(first.json()) == 15 and len(set(ids)) == 30


async def test_ignore_limit_answers_everything_from_the_offset() -> None:
    """--ignore-limit answers every item from the offset on, whatever the limit."""
    answer = await _get(_mock(ignore_limit=True), "/users/search", limit=10, offset=5)
    assert len(answer.json()) == 45


async def test_total_count_only_with_limit() -> None:
    """--total-count sends X-Total-Count when the request gives limit, and only then."""
    mock = _mock(total_count=True)
    paged = await _get(mock, "/users/search", limit=10, offset=0)
    whole = await _get(mock, "/user_attributes")
    assert paged.headers["x-total-count"] == "50"
    assert "x-total-count" not in whole.headers


async def test_forbid_answers_403_to_lists_and_items() -> None:
    """--forbid themes: 403 with Looker's error body on the list and on get-by-id."""
    mock = _mock(forbid=("themes",))
    listed = await _get(mock, "/themes/search", limit=10)
    one = await _get(mock, f"/themes/{next(iter(mock.data.objects['themes']))}")
    assert listed.status_code == one.status_code == 403
    assert "message" in orjson.loads(listed.content)
    assert (await _get(mock, "/roles/search")).status_code == 200


async def test_forbid_trash_refuses_only_deleted_listings() -> None:
    """--forbid trash: 403 on deleted=true, 200 on the live listing."""
    mock = _mock(forbid=("trash",))
    assert (await _get(mock, "/dashboards/search", deleted="true")).status_code == 403
    assert (await _get(mock, "/dashboards/search", deleted="false")).status_code == 200


async def test_missing_answers_404_to_the_list_endpoint_only() -> None:
    """--missing scheduled_plans: the search answers 404, get-by-id still works."""
    mock = _mock(missing=("scheduled_plans",))
    assert (await _get(mock, "/scheduled_plans/search")).status_code == 404
    plan = next(iter(mock.data.objects["scheduled_plans"]))
    assert (await _get(mock, f"/scheduled_plans/{plan}")).status_code == 200


def test_flags_build_the_options() -> None:
    """The CLI flags reach MockOptions; comma-separated and repeated names both work."""
    flags = ServeFlags(forbid=("themes,trash",), missing=("alerts",), max_limit=300)
    options = flags.options()
    assert options.forbid == ("themes", "trash") and options.missing == ("alerts",)
    assert options.max_limit == 300 and not options.ignore_limit and not options.total_count


def test_unknown_type_names_are_refused() -> None:
    """A misspelt type name is an error naming the valid ones."""
    with pytest.raises(ValueError, match="unknown type 'themez'"):
        split_types(("themez",), ("themes",))
