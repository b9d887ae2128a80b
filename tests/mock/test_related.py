"""The mock's related objects: valid against the API description, consistent, and off by default."""

from __future__ import annotations

from typing import Any

import httpx
import orjson
import pytest

from lookervault.mock.app import API_PREFIX, MockLooker, MockOptions
from tests.mock.test_data import _errors

# The schema of each new type's items (a list type's item is a list of these).
ITEM_SCHEMA = {
    "lookml_dashboards": "Dashboard",
    "merge_queries": "MergeQuery",
    "queries": "Query",
    "role_groups": "Group",
    "role_users": "User",
    "group_groups": "Group",
    "user_attribute_group_values": "UserAttributeGroupValue",
    "user_attribute_values": "UserAttributeWithValue",
    "content_metadata": "ContentMeta",
}
_KNOBS = MockOptions(preset="demo", merge_queries=10, lookml_dashboards=3, missing_explores=2)


@pytest.fixture(scope="module")
def mock() -> MockLooker:
    """The demo preset with merge queries, LookML dashboards and two missing explores."""
    return MockLooker(_KNOBS)


def _entries(value: Any) -> list[dict[str, Any]]:
    return value if isinstance(value, list) else [value]


@pytest.mark.parametrize("name", sorted(ITEM_SCHEMA))
def test_every_related_object_validates_against_its_schema(mock: MockLooker, name: str) -> None:
    """Each object (or each entry of each list) matches the spec's response schema."""
    truth = mock.ground_truth()[name]
    assert truth, name
    for key, value in truth.items():
        for entry in _entries(value):
            assert not _errors(ITEM_SCHEMA[name], entry), (
                name,
                key,
                _errors(ITEM_SCHEMA[name], entry),
            )


def test_merge_queries_are_named_by_dashboard_tiles_and_name_real_queries(mock: MockLooker) -> None:
    """Every merge query hangs off one tile, and its source queries are served."""
    truth = mock.ground_truth()
    tiles = [
        e["merge_result_id"]
        for d in mock.data.objects["dashboards"].values()
        for e in d["dashboard_elements"]
        if e["merge_result_id"]
    ]
    assert sorted(tiles) == sorted(truth["merge_queries"]) and len(tiles) == 10
    named = {s["query_id"] for m in truth["merge_queries"].values() for s in m["source_queries"]}
    assert named == set(truth["queries"])


def test_memberships_point_at_existing_objects(mock: MockLooker) -> None:
    """Role users hold the role; groups in memberships exist; metadata covers folders and boards."""
    truth, objects = mock.ground_truth(), mock.data.objects
    for role, users in truth["role_users"].items():
        assert all(role in u["role_ids"] for u in users)
    for table in ("role_groups", "group_groups"):
        assert all(g["id"] in objects["groups"] for gs in truth[table].values() for g in gs)
    assert any(truth["group_groups"].values()) and any(truth["role_groups"].values())
    cmids = {
        str(o["content_metadata_id"]) for t in ("folders", "boards") for o in objects[t].values()
    }
    assert set(truth["content_metadata"]) == cmids
    assert {m["inherits"] for m in truth["content_metadata"].values()} == {True, False}


def test_the_default_mock_serves_exactly_the_same_objects_as_before() -> None:
    """Without the knobs no dashboard carries a merge result and GET /dashboards lists no LookML."""
    plain, knobbed = MockLooker(MockOptions(preset="demo")), MockLooker(_KNOBS)
    assert not plain.ground_truth()["merge_queries"]
    assert not plain.ground_truth()["lookml_dashboards"]
    changed = [
        i
        for i, d in knobbed.data.objects["dashboards"].items()
        if d != plain.data.objects["dashboards"][i]
    ]
    assert 0 < len(changed) <= 10  # only the tiles the knob turned into merged results


@pytest.mark.anyio
async def test_routes_answer_lookml_dashboards_missing_explores_and_slow_pages() -> None:
    """`model::name` by id, in GET /dashboards; 404 for a missing explore; 504 for a big page."""
    mock = MockLooker(
        MockOptions(preset="tiny", lookml_dashboards=2, missing_explores=1, page_timeout_above=5)
    )
    lookml = sorted(mock.related.lookml_dashboards)[0]
    missing = sorted(mock.related.missing_explores)[0].split("::")
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=mock), base_url="http://mock" + API_PREFIX
    ) as http:
        login = await http.post(
            "/login",
            data={"client_id": _KNOBS.client_id, "client_secret": _KNOBS.client_secret},
        )
        http.headers["Authorization"] = f"Bearer {login.json()['access_token']}"
        listed = (await http.get("/dashboards", params={"fields": "id"})).json()
        got = await http.get(f"/dashboards/{lookml.replace(':', '%3A')}")
        gone = await http.get(f"/lookml_models/{missing[0]}/explores/{missing[1]}")
        big = await http.get("/dashboards/search", params={"limit": 6})
        small = await http.get("/dashboards/search", params={"limit": 5})
        ids = await http.get("/dashboards/search", params={"limit": 100, "fields": "id"})
    assert lookml in {d["id"] for d in listed}
    assert orjson.loads(got.content) == mock.related.lookml_dashboards[lookml]
    assert (gone.status_code, big.status_code, small.status_code) == (404, 504, 200)
    assert ids.status_code == 200  # id listings are cheap and spared
