"""checks.py: what each kind depends on, and which queries' explores Looker lost."""

from __future__ import annotations

import httpx
import pytest

from lookervault.looker.client import LookerClient
from lookervault.mock.app import MockLooker, MockOptions
from lookervault.restore.checks import dependencies, missing_explores, queries_of
from lookervault.restore.target import Target
from tests.restore.scene import SETTINGS


def test_dependencies_per_kind() -> None:
    """Folders on parents, content on folders and look tiles, schedules on content, alerts on tiles."""
    assert dependencies("folders", {"parent_id": "1"}, {}) == [("folders", "1")]
    dash = {"folder_id": "3", "dashboard_elements": [{"look_id": "7"}, {"look_id": None}]}
    assert dependencies("dashboards", dash, {}) == [("folders", "3"), ("looks", "7")]
    plan = {"dashboard_id": None, "look_id": "7"}
    assert dependencies("scheduled_plans", plan, {}) == [("looks", "7")]
    assert dependencies("alerts", {"dashboard_element_id": "70"}, {"70": "9"}) == [
        ("dashboards", "9")
    ]
    assert dependencies("alerts", {"dashboard_element_id": "70"}, {}) == []
    role = {"permission_set_id": "2", "model_set_id": "3"}
    assert dependencies("roles", role, {}) == [("permission_sets", "2"), ("model_sets", "3")]
    board = {"board_sections": [{"board_items": [{"dashboard_id": "9", "look_id": None}]}]}
    assert dependencies("boards", board, {}) == [("dashboards", "9")]
    access = {"owner": "boards", "owner_id": "4"}
    assert dependencies("content_metadata_access", access, {}) == [("boards", "4")]


def test_queries_of_skips_look_tiles_and_text() -> None:
    """A look tile runs the look's query (checked with the look); text tiles run none."""
    dash = {"dashboard_elements": [
        {"look_id": "7", "query": {"model": "a"}}, {"query": None}, {"query": {"model": "b"}}]}  # fmt: skip
    assert [q["model"] for q in queries_of("dashboards", dash)] == ["b"]
    assert [q["model"] for q in queries_of("looks", {"query": {"model": "c"}})] == ["c"]


@pytest.mark.anyio
async def test_missing_explores_asks_looker_once_per_explore() -> None:
    """An explore Looker has passes; one it lost is named model::explore."""
    mock = MockLooker(MockOptions())
    query = mock.data._queries[0]
    look = {"query": {"model": query["model"], "view": query["view"]}}
    lost = {"query": {"model": query["model"], "view": "gone_view"}}
    async with LookerClient(SETTINGS, transport=httpx.ASGITransport(app=mock)) as client:
        target = Target(client)
        assert await missing_explores(target, "looks", look) == []
        assert await missing_explores(target, "looks", lost) == [f"{query['model']}::gone_view"]
        before = mock.stats.requests
        await missing_explores(target, "looks", lost)
        assert mock.stats.requests == before  # cached
