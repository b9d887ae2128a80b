"""The mock's write endpoints: Looker's rules, and every body a restore sends valid per the API
description's request schemas (no read-only field sent)."""

from __future__ import annotations

from pathlib import Path

import pytest

from lookervault.looker.writable import SENT_THOUGH_READ_ONLY as _SENT
from lookervault.mock.app import MockLooker, MockOptions
from lookervault.restore.plan import PlanOptions
from lookervault.restore.run import RestoreOptions
from lookervault.restore.select import Wanted
from tests.mock.request_schemas import logged_in, read_only_fields, request_schema_name
from tests.mock.test_data import _validator
from tests.restore.scene import (
    Recorder,
    backup,
    fullest_folder,
    hard_delete_folder,
    run_restore,
    writable_mock,
)

pytestmark = pytest.mark.anyio


async def test_every_restore_body_matches_the_api_description(tmp_path: Path) -> None:
    """Each POST/PATCH of a folder round trip validates against its request schema."""
    mock = writable_mock(seed=3)
    db = tmp_path / "v.db"
    await backup(mock, db)
    folder = fullest_folder(mock)
    await hard_delete_folder(mock, folder)
    recorder = Recorder(mock)
    options = RestoreOptions(wanted=Wanted(folder=folder), plan=PlanOptions(), apply=True)
    assert (await run_restore(recorder, db, options)).ok
    seen = set()
    for method, path, body in recorder.writes:
        if path.endswith("/logout"):
            continue
        schema = request_schema_name(method, path.removeprefix("/api/4.0"))
        seen.add(schema)
        errors = [e.message for e in _validator(schema).iter_errors(body)]
        assert errors == [], (method, path, errors)
        # Only the read-only fields Looker reads anyway (writable.SENT_THOUGH_READ_ONLY) are sent.
        sent = set(body) & read_only_fields(schema) - set(_SENT.get(path.rsplit("/", 1)[-1], ()))
        assert not sent, (method, path, sent)
    assert {"Dashboard", "DashboardElement", "CreateDashboardFilter", "Query", "LookWithQuery",
            "CreateFolder", "Board", "BoardSection", "BoardItem", "Alert",
            "DashboardLayoutComponent", "ContentMetaGroupUser"} <= seen  # fmt: skip


@pytest.fixture
async def client():
    """An authenticated client of a fresh writable tiny mock."""
    mock = MockLooker(MockOptions(writable=True))
    async with logged_in(mock) as http:
        yield mock, http


async def test_required_fields_answer_looker_validation_body(client) -> None:
    """A dashboard without a title: 422 with message, errors[] and documentation_url."""
    _, http = client
    answer = await http.post("/dashboards", json={"folder_id": "1"})
    assert answer.status_code == 422
    body = answer.json()
    assert body["message"] == "Validation Failed"
    assert body["errors"][0]["field"] == "title" and body["errors"][0]["code"] == "missing_field"


async def test_titles_are_unique_per_folder_and_trash_undeletes(client) -> None:
    """Second title in a folder: 422; trashed, the title is free; undelete restores the id."""
    mock, http = client
    first = (await http.post("/dashboards", json={"title": "T", "folder_id": "1"})).json()
    again = await http.post("/dashboards", json={"title": "T", "folder_id": "1"})
    assert again.status_code == 422
    assert again.json()["errors"][0]["message"] == "Dashboard with this title already exists"
    trashed = await http.patch(f"/dashboards/{first['id']}", json={"deleted": True})
    assert trashed.json()["deleted"] is True and trashed.json()["deleted_at"]
    back = await http.patch(f"/dashboards/{first['id']}", json={"deleted": False})
    assert back.json()["id"] == first["id"] and back.json()["deleted"] is False
    listed = (
        await http.get("/dashboards/search", params={"folder_id": "1", "fields": "id"})
    ).json()
    assert {"id": first["id"]} in listed


async def test_element_gets_a_server_made_layout_component(client) -> None:
    """POST /dashboard_elements: the server adds a component that PATCH then moves."""
    mock, http = client
    dash = (await http.post("/dashboards", json={"title": "L", "folder_id": "1"})).json()
    element = (await http.post("/dashboard_elements", json={"dashboard_id": dash["id"], "type": "text", "body_text": "hi"})).json()  # fmt: skip
    got = (await http.get(f"/dashboards/{dash['id']}")).json()
    [component] = got["dashboard_layouts"][0]["dashboard_layout_components"]
    assert component["dashboard_element_id"] == element["id"]
    moved = await http.patch(
        f"/dashboard_layout_components/{component['id']}", json={"row": 12, "id": "9"}
    )
    assert moved.json()["row"] == 12 and moved.json()["id"] == component["id"]  # id is read-only


async def test_text_tiles_refuse_result_makers_and_refs_must_exist(client) -> None:
    """A text tile with a query: 422; a tile on a look that does not exist: 422."""
    _, http = client
    dash = (await http.post("/dashboards", json={"title": "R", "folder_id": "1"})).json()
    text = await http.post(
        "/dashboard_elements", json={"dashboard_id": dash["id"], "type": "text", "query_id": "1"}
    )
    assert text.status_code == 422
    assert "Result Maker IDs should not be provided" in text.json()["errors"][0]["message"]
    ghost = await http.post(
        "/dashboard_elements", json={"dashboard_id": dash["id"], "type": "vis", "look_id": "999999"}
    )
    assert ghost.status_code == 422


async def test_query_refuses_old_client_id_and_unknown_explore(client) -> None:
    """create_query: a used client_id and a missing explore are refused."""
    mock, http = client
    known = mock.data._queries[0]
    used = await http.post(
        "/queries",
        json={"model": known["model"], "view": known["view"], "client_id": known["client_id"]},
    )
    assert used.status_code == 422 and "client_id already in use" in used.text
    lost = await http.post("/queries", json={"model": known["model"], "view": "nope"})
    assert lost.status_code == 422


async def test_forbidden_writes_and_read_only_default(client) -> None:
    """forbid_writes answers 403; the default mock serves no write at all (404)."""
    mock, http = client
    mock.options = MockOptions(writable=True, forbid_writes=("folders",))
    assert (await http.post("/folders", json={"name": "n", "parent_id": "1"})).status_code == 403
    plain = MockLooker(MockOptions())
    assert plain.writes is None


async def test_hard_delete_folder_takes_the_subtree(client) -> None:
    """The control endpoint deletes subfolders and their content, as Looker does."""
    mock, http = client
    parent = (await http.post("/folders", json={"name": "P", "parent_id": "1"})).json()
    child = (await http.post("/folders", json={"name": "C", "parent_id": parent["id"]})).json()
    dash = (await http.post("/dashboards", json={"title": "D", "folder_id": child["id"]})).json()
    gone = (await http.post(f"http://m/__mock__/hard_delete_folder/{parent['id']}")).json()
    assert set(gone["folders"]) == {parent["id"], child["id"]} and gone["dashboards"] == [
        dash["id"]
    ]
    assert (await http.get(f"/dashboards/{dash['id']}")).status_code == 404
