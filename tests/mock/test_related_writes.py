"""The writable mock's membership, content metadata and merge query writes: one state with what
GET serves, bodies valid per the API description's request schemas, Looker's refusals."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from lookervault.mock.app import MockLooker, MockOptions
from tests.mock.request_schemas import logged_in, request_validator

pytestmark = pytest.mark.anyio


async def _send(http: httpx.AsyncClient, method: str, template: str, path: str, body: Any) -> Any:
    """Send a body after checking it against the request schema; the answer's JSON."""
    errors = [e.message for e in request_validator(method, template).iter_errors(body)]
    assert errors == [], (method, template, errors)
    answer = await http.request(method, path, json=body)
    return answer.status_code, answer.json()


@pytest.fixture
async def client():
    """An authenticated client of a fresh writable mock with 4 merged-results tiles."""
    mock = MockLooker(MockOptions(writable=True, merge_queries=4))
    async with logged_in(mock) as http:
        yield mock, http


async def test_posted_queries_and_merge_queries_are_served_and_usable(client) -> None:
    """A posted merge query on a posted query is served by GET and a tile can show it."""
    mock, http = client
    merges = mock.related.merge_queries
    assert set(merges) == {"1", "2", "3", "4"} and mock.writes.merge_queries is merges
    generated = merges["1"]
    q = {"model": "", "view": ""}
    q |= {k: (await http.get(f"/queries/{generated['source_queries'][0]['query_id']}")).json()[k]
          for k in ("model", "view", "fields")}  # fmt: skip
    status, query = await _send(http, "POST", "/queries", "/queries", q)
    assert status == 200
    assert (await http.get(f"/queries/{query['id']}")).json()["fields"] == q["fields"]
    sources = [{"name": "A", "query_id": query["id"]},
               {"name": "B", "query_id": generated["source_queries"][1]["query_id"]}]  # fmt: skip
    status, merge = await _send(
        http, "POST", "/merge_queries", "/merge_queries", {"source_queries": sources}
    )
    assert status == 200 and merge["id"] == "5"
    served = (await http.get(f"/merge_queries/{merge['id']}")).json()
    assert served == merge and served["source_queries"][0]["query_id"] == query["id"]
    dash = next(iter(mock.data.objects["dashboards"]))
    tile = {"dashboard_id": dash, "type": "vis", "merge_result_id": merge["id"], "title": "M"}
    status, element = await _send(http, "POST", "/dashboard_elements", "/dashboard_elements", tile)
    assert status == 200 and element["merge_result_id"] == merge["id"]
    unknown = {**tile, "merge_result_id": "999"}
    assert (await http.post("/dashboard_elements", json=unknown)).status_code == 422


async def test_role_groups_and_users_become_the_lists_put(client) -> None:
    """PUT /roles/{id}/groups and /users set exactly those members; GET returns them."""
    mock, http = client
    role = sorted(mock.data.objects["roles"], key=int)[0]
    groups = sorted(mock.data.objects["groups"], key=int)[:2]
    users = sorted(mock.data.objects["users"], key=int)[:3]
    template = "/roles/{role_id}/groups"
    status, answer = await _send(http, "PUT", template, f"/roles/{role}/groups", groups)
    assert status == 200 and [g["id"] for g in answer] == groups
    assert [g["id"] for g in (await http.get(f"/roles/{role}/groups")).json()] == groups
    template = "/roles/{role_id}/users"
    status, _ = await _send(http, "PUT", template, f"/roles/{role}/users", users)
    assert status == 200
    assert [u["id"] for u in (await http.get(f"/roles/{role}/users")).json()] == users
    holders = {k for k, u in mock.data.objects["users"].items() if role in u["role_ids"]}
    assert holders == set(users)
    status, _ = await _send(http, "PUT", template, f"/roles/{role}/users", users[:1])
    assert [u["id"] for u in (await http.get(f"/roles/{role}/users")).json()] == users[:1]
    assert (await http.put(f"/roles/{role}/groups", json=["987654"])).status_code == 422
    assert (await http.put("/roles/987654/groups", json=groups)).status_code == 404
    assert (await http.put(f"/roles/{role}/groups", json={"id": "1"})).status_code == 422


async def test_group_groups_gain_the_group_posted_once(client) -> None:
    """POST /groups/{id}/groups adds the group; a second POST changes nothing."""
    mock, http = client
    owner, member = sorted(mock.data.objects["groups"], key=int)[:2]
    before = [g["id"] for g in (await http.get(f"/groups/{owner}/groups")).json()]
    template, path = "/groups/{group_id}/groups", f"/groups/{owner}/groups"
    for _ in range(2):
        status, answer = await _send(http, "POST", template, path, {"group_id": member})
        assert status == 200 and answer["id"] == member
    after = [g["id"] for g in (await http.get(path)).json()]
    assert after.count(member) == 1 and set(after) == {*before, member}
    assert (await http.post(path, json={"group_id": owner})).status_code == 422
    assert (await http.post(path, json={})).status_code == 422


async def test_attribute_group_values_become_the_list_posted(client) -> None:
    """POST /user_attributes/{id}/group_values replaces the values, ranked in order."""
    mock, http = client
    attr = sorted(mock.data.objects["user_attributes"], key=int)[0]
    groups = sorted(mock.data.objects["groups"], key=int)[:2]
    body = [{"group_id": groups[1], "value": "first"}, {"group_id": groups[0], "value": "second"}]
    template = "/user_attributes/{user_attribute_id}/group_values"
    path = f"/user_attributes/{attr}/group_values"
    status, _ = await _send(http, "POST", template, path, body)
    assert status == 200
    served = (await http.get(path)).json()
    assert [(v["group_id"], v["value"], v["rank"]) for v in served] == [
        (groups[1], "first", 1),
        (groups[0], "second", 2),
    ]
    assert all(v["user_attribute_id"] == attr for v in served)
    twice = [body[0], body[0]]
    assert (await http.post(path, json=twice)).status_code == 422
    assert (await http.post(path, json=[{"group_id": "987654"}])).status_code == 422


async def test_content_metadata_inherits_is_patched(client) -> None:
    """PATCH /content_metadata/{id} sets inherits; a folder without a parent cannot inherit."""
    mock, http = client
    metas = mock.related.content_metadata()
    child = next(m for m in metas.values() if m["parent_id"] is not None)
    root = next(m for m in metas.values() if m["parent_id"] is None)
    template = "/content_metadata/{content_metadata_id}"
    for value in (not child["inherits"], child["inherits"]):
        status, answer = await _send(
            http, "PATCH", template, f"/content_metadata/{child['id']}", {"inherits": value}
        )
        assert status == 200 and answer["inherits"] is value
        served = (await http.get(f"/content_metadata/{child['id']}")).json()
        assert served["inherits"] is value
        assert served["inheriting_id"] == (child["parent_id"] if value else None)
    answer = await http.patch(f"/content_metadata/{root['id']}", json={"inherits": True})
    assert answer.status_code == 422
    assert (await http.patch("/content_metadata/987654", json={})).status_code == 404


async def test_the_default_mock_serves_none_of_these_writes() -> None:
    """Without `writable`, the new write endpoints are not there (404), as before."""
    mock = MockLooker(MockOptions())
    async with logged_in(mock) as http:
        for method, path, body in (
            ("PUT", "/roles/1/groups", ["1"]),
            ("POST", "/groups/1/groups", {"group_id": "2"}),
            ("POST", "/user_attributes/1/group_values", []),
            ("PATCH", "/content_metadata/1", {"inherits": False}),
        ):
            assert (await http.request(method, path, json=body)).status_code == 404
    assert mock.stats.writes == 0
