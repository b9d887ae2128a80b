"""The mock Looker ASGI app, in process: auth, paging, filters, errors and the fault knobs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from lookervault.mock.app import MockLooker
from lookervault.mock.options import MockOptions
from lookervault.mock.responses import DOCUMENTATION_URL
from lookervault.mock.routes import API_PREFIX

OPTIONS = MockOptions()
# Enough dashboards and looks that a few are soft-deleted (about 5% are).
SHARED_OPTIONS = MockOptions(counts={"dashboards": 60, "looks": 60})
CREDENTIALS = {"client_id": OPTIONS.client_id, "client_secret": OPTIONS.client_secret}


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def make_client(app: MockLooker) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app)
    return httpx.AsyncClient(transport=transport, base_url="http://mock" + API_PREFIX)


async def login(client: httpx.AsyncClient) -> None:
    response = await client.post("/login", data=CREDENTIALS)
    assert response.status_code == 200
    client.headers["Authorization"] = f"token {response.json()['access_token']}"


@pytest.fixture(scope="module")
def shared_app() -> MockLooker:
    """One app for the read-only tests (generating data once keeps them fast)."""
    return MockLooker(SHARED_OPTIONS)


@pytest.fixture
async def client(shared_app: MockLooker) -> AsyncIterator[httpx.AsyncClient]:
    """A logged-in client of the shared app."""
    async with make_client(shared_app) as http:
        await login(http)
        yield http


async def fetch_all(client: httpx.AsyncClient, path: str, page_size: int, **params: Any) -> list:
    """Page through a list endpoint with limit/offset until a short page."""
    items: list = []
    while True:
        query = {**params, "limit": page_size, "offset": len(items)}
        response = await client.get(path, params=query)
        assert response.status_code == 200, response.text
        page = response.json()
        items.extend(page)
        if len(page) < page_size:
            return items


def assert_error(response: httpx.Response, status: int) -> None:
    assert response.status_code == status
    body = response.json()
    assert set(body) == {"message", "documentation_url"}
    assert body["documentation_url"] == DOCUMENTATION_URL


def numeric(ids: Any) -> list[str]:
    return sorted(ids, key=int)


# ----- auth ----------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_login_returns_a_bearer_token(shared_app: MockLooker) -> None:
    """A form login with the right credentials returns an AccessToken."""
    async with make_client(shared_app) as http:
        response = await http.post("/login", data=CREDENTIALS)
    body = response.json()
    assert response.status_code == 200
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == int(OPTIONS.token_ttl_s)
    assert len(body["access_token"]) >= 30


@pytest.mark.anyio
async def test_login_accepts_query_parameters(shared_app: MockLooker) -> None:
    """The spec declares client_id/client_secret as query parameters: those work too."""
    async with make_client(shared_app) as http:
        response = await http.post("/login", params=CREDENTIALS)
    assert response.status_code == 200


@pytest.mark.anyio
@pytest.mark.parametrize(
    "form",
    [
        {"client_id": OPTIONS.client_id, "client_secret": "wrong"},
        {"client_id": "someone", "client_secret": OPTIONS.client_secret},
        {"client_id": OPTIONS.client_id},
        {},
    ],
)
async def test_login_refused_like_looker(shared_app: MockLooker, form: dict[str, str]) -> None:
    """Wrong or missing credentials get Looker's 404 Not found error body."""
    async with make_client(shared_app) as http:
        response = await http.post("/login", data=form)
    assert_error(response, 404)
    assert response.json()["message"] == "Not found"


@pytest.mark.anyio
@pytest.mark.parametrize("scheme", ["token", "Bearer"])
async def test_both_authorization_forms_work(shared_app: MockLooker, scheme: str) -> None:
    """`Authorization: token X` and `Bearer X` both authenticate."""
    async with make_client(shared_app) as http:
        token = (await http.post("/login", data=CREDENTIALS)).json()["access_token"]
        response = await http.get("/user", headers={"Authorization": f"{scheme} {token}"})
    assert response.status_code == 200
    assert response.json() == shared_app.data.objects["users"][shared_app.data.me_id]


@pytest.mark.anyio
@pytest.mark.parametrize("header", [None, "token nope", "Basic abc", "token "])
async def test_missing_or_unknown_token_is_401(shared_app: MockLooker, header: str | None) -> None:
    """Without a valid token every API route answers 401 Requires authentication."""
    headers = {"Authorization": header} if header else {}
    async with make_client(shared_app) as http:
        response = await http.get("/dashboards/search", headers=headers)
    assert_error(response, 401)
    assert response.json()["message"] == "Requires authentication."


@pytest.mark.anyio
async def test_token_expires_after_ttl() -> None:
    """A token works until token_ttl_s passes on the (fake) clock, then 401."""
    clock = FakeClock()
    app = MockLooker(MockOptions(token_ttl_s=10), clock=clock)
    async with make_client(app) as http:
        await login(http)
        clock.now += 9.5
        assert (await http.get("/user")).status_code == 200
        clock.now += 1
        assert_error(await http.get("/user"), 401)


@pytest.mark.anyio
async def test_logout_revokes_the_token(shared_app: MockLooker) -> None:
    """DELETE /logout answers 204 and the token stops working."""
    async with make_client(shared_app) as http:
        await login(http)
        assert (await http.delete("/logout")).status_code == 204
        assert_error(await http.get("/user"), 401)


@pytest.mark.anyio
async def test_unversioned_logout_like_looker_sdk(shared_app: MockLooker) -> None:
    """looker-sdk logs out with DELETE /api/logout; that path revokes the token too."""
    async with make_client(shared_app) as http:
        await login(http)
        assert (await http.delete("http://mock/api/logout")).status_code == 204
        assert_error(await http.get("/user"), 401)


@pytest.mark.anyio
async def test_versions_describes_the_api(shared_app: MockLooker) -> None:
    """GET /versions returns an ApiVersion, without authentication as in Looker."""
    async with make_client(shared_app) as http:
        body = (await http.get("/versions")).json()
    assert body["looker_release_version"] == OPTIONS.looker_release
    assert body["current_version"]["version"] == "4.0"
    assert set(body["current_version"]) == {"version", "full_version", "status", "swagger_url"}
    assert body["supported_versions"] and body["api_server_url"] == "http://mock"
    assert body["web_server_url"] == "http://mock"


# ----- lists and paging ----------------------------------------------------------------------


def _live(app: MockLooker, content_type: str) -> list[str]:
    objects = app.data.objects[content_type]
    return numeric(i for i, obj in objects.items() if not obj.get("deleted"))


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/dashboards/search", "dashboards"),
        ("/looks/search", "looks"),
        ("/folders/search", "folders"),
        ("/boards/search", "boards"),
        ("/users/search", "users"),
        ("/users", "users"),
        ("/groups", "groups"),
        ("/groups/search", "groups"),
        ("/roles/search", "roles"),
        ("/permission_sets/search", "permission_sets"),
        ("/model_sets/search", "model_sets"),
        ("/themes/search", "themes"),
    ],
)
async def test_paging_covers_every_item_once(
    client: httpx.AsyncClient, shared_app: MockLooker, path: str, content_type: str
) -> None:
    """limit/offset paging with sorts=id returns each (live) item exactly once, in id order."""
    items = await fetch_all(client, path, 5, sorts="id")
    ids = [item["id"] for item in items]
    assert ids == _live(shared_app, content_type)


@pytest.mark.anyio
async def test_ids_sort_numerically_both_ways(
    client: httpx.AsyncClient, shared_app: MockLooker
) -> None:
    """Ids sort as integers ("10" after "9"), ascending by default and with "id desc"."""
    expected = _live(shared_app, "dashboards")
    assert len(expected) >= 10  # the tiny preset must reach two-digit ids for this test
    plain = (await client.get("/dashboards/search")).json()
    descending = (await client.get("/dashboards/search", params={"sorts": "id desc"})).json()
    assert [d["id"] for d in plain] == expected
    assert [d["id"] for d in descending] == expected[::-1]


@pytest.mark.anyio
async def test_sorts_by_another_field(client: httpx.AsyncClient) -> None:
    """sorts=title orders by title (ties by id), still returning every item once."""
    items = (await client.get("/looks/search", params={"sorts": "title, id"})).json()
    titles = [item["title"] for item in items]
    assert titles == sorted(titles, key=lambda t: (t is None, t or ""))


@pytest.mark.anyio
async def test_page_and_per_page(client: httpx.AsyncClient, shared_app: MockLooker) -> None:
    """The deprecated page/per_page parameters page too (pages start at 1)."""
    expected = _live(shared_app, "users")
    first = (await client.get("/users", params={"page": 1, "per_page": 3})).json()
    second = (await client.get("/users", params={"page": 2, "per_page": 3})).json()
    assert [u["id"] for u in first + second] == expected[:6]


@pytest.mark.anyio
async def test_list_without_paging_returns_everything(
    client: httpx.AsyncClient, shared_app: MockLooker
) -> None:
    """all_* endpoints return the whole collection; looks use the list (Look) shape."""
    looks = (await client.get("/looks")).json()
    data = shared_app.data
    expected = [
        data.list_item("looks", data.objects["looks"][i]) for i in _live(shared_app, "looks")
    ]
    assert looks == expected
    models = (await client.get("/lookml_models")).json()
    assert sorted(m["name"] for m in models) == sorted(data.objects["lookml_models"])


@pytest.mark.anyio
async def test_ids_parameter_selects_items(client: httpx.AsyncClient) -> None:
    """all_users/all_groups/all_roles honour ids=1,3 (the SDK's comma-separated array)."""
    for path in ("/users", "/groups", "/roles"):
        found = (await client.get(path, params={"ids": "3,1"})).json()
        assert [item["id"] for item in found] == ["1", "3"]


@pytest.mark.anyio
async def test_unknown_parameters_are_ignored(client: httpx.AsyncClient) -> None:
    """A parameter the operation does not declare is ignored, like Looker (even a bad value)."""
    plain = await client.get("/roles")
    noisy = await client.get("/roles", params={"limit": "abc", "whatever": "1"})
    assert noisy.status_code == 200
    assert noisy.json() == plain.json()


@pytest.mark.anyio
async def test_fields_projection_on_lists_and_items(
    client: httpx.AsyncClient, shared_app: MockLooker
) -> None:
    """fields keeps only the named top-level keys, on lists and on get-by-id."""
    ids = (await client.get("/dashboards/search", params={"fields": "id"})).json()
    assert ids and all(item.keys() == {"id"} for item in ids)
    first = ids[0]["id"]
    response = await client.get(
        f"/dashboards/{first}", params={"fields": "id,title,dashboard_elements(id)"}
    )
    full = shared_app.data.objects["dashboards"][first]
    assert response.json() == {
        "id": first,
        "title": full["title"],
        "dashboard_elements": full["dashboard_elements"],
    }


@pytest.mark.anyio
async def test_deleted_filter(client: httpx.AsyncClient, shared_app: MockLooker) -> None:
    """search returns live items by default and only soft-deleted ones with deleted=true."""
    for content_type in ("dashboards", "looks"):
        objects = shared_app.data.objects[content_type]
        trashed = numeric(i for i, obj in objects.items() if obj.get("deleted"))
        live = (await client.get(f"/{content_type}/search")).json()
        dead = (await client.get(f"/{content_type}/search", params={"deleted": "true"})).json()
        assert [d["id"] for d in dead] == trashed
        assert numeric([d["id"] for d in live + dead]) == numeric(objects)
        assert dead and all(d["deleted"] for d in dead)


@pytest.mark.anyio
async def test_trashed_items_stay_fetchable(
    client: httpx.AsyncClient, shared_app: MockLooker
) -> None:
    """A soft-deleted dashboard is still returned by GET /dashboards/{id}."""
    objects = shared_app.data.objects["dashboards"]
    trashed = [i for i, obj in objects.items() if obj.get("deleted")]
    response = await client.get(f"/dashboards/{trashed[0]}")
    assert response.json() == objects[trashed[0]]


@pytest.mark.anyio
async def test_folder_filter(client: httpx.AsyncClient, shared_app: MockLooker) -> None:
    """folder_id narrows dashboards/looks search to one folder."""
    objects = shared_app.data.objects["looks"]
    folder = next(iter(objects.values()))["folder_id"]
    found = (await client.get("/looks/search", params={"folder_id": folder})).json()
    expected = [i for i, o in objects.items() if o["folder_id"] == folder and not o.get("deleted")]
    assert [look["id"] for look in found] == numeric(expected)


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("path", "content_type", "owner", "flag"),
    [
        ("/scheduled_plans", "scheduled_plans", "user_id", "all_users"),
        ("/scheduled_plans/search", "scheduled_plans", "user_id", "all_users"),
        ("/alerts/search", "alerts", "owner_id", "all_owners"),
    ],
)
async def test_owner_defaults_and_all_flag(
    client: httpx.AsyncClient,
    shared_app: MockLooker,
    path: str,
    content_type: str,
    owner: str,
    flag: str,
) -> None:
    """Without the all_* flag only the caller's items come back; with it, everyone's."""
    objects = shared_app.data.objects[content_type]
    mine = (await client.get(path)).json()
    everyone = (await client.get(path, params={flag: "true"})).json()
    me = shared_app.data.me_id
    assert [x["id"] for x in mine] == numeric(i for i, o in objects.items() if o[owner] == me)
    assert [x["id"] for x in everyone] == numeric(objects)
    assert len(everyone) > len(mine)


# ----- get-by-id and errors --------------------------------------------------------------------


@pytest.mark.anyio
async def test_get_by_id_returns_full_objects(
    client: httpx.AsyncClient, shared_app: MockLooker
) -> None:
    """Every get-by-id route returns the full stored object."""
    routes = {
        "looks": "/looks/{}",
        "folders": "/folders/{}",
        "boards": "/boards/{}",
        "groups": "/groups/{}",
        "roles": "/roles/{}",
        "permission_sets": "/permission_sets/{}",
        "model_sets": "/model_sets/{}",
        "scheduled_plans": "/scheduled_plans/{}",
        "alerts": "/alerts/{}",
        "user_attributes": "/user_attributes/{}",
        "themes": "/themes/{}",
        "lookml_models": "/lookml_models/{}",
    }
    for content_type, template in routes.items():
        item_id, obj = next(iter(shared_app.data.objects[content_type].items()))
        assert (await client.get(template.format(item_id))).json() == obj


@pytest.mark.anyio
async def test_explore_by_model_and_name(client: httpx.AsyncClient, shared_app: MockLooker) -> None:
    """GET /lookml_models/{model}/explores/{explore} returns the explore keyed model::explore."""
    key, explore = next(iter(shared_app.data.objects["explores"].items()))
    model, name = key.split("::")
    response = await client.get(f"/lookml_models/{model}/explores/{name}")
    assert response.json() == explore


@pytest.mark.anyio
@pytest.mark.parametrize(
    "path",
    ["/dashboards/999999", "/lookml_models/nope", "/no/such/route", "/lookml_models/a/explores/b"],
)
async def test_unknown_ids_and_routes_are_404(client: httpx.AsyncClient, path: str) -> None:
    """Absent objects and unknown routes answer Looker's 404 error body."""
    assert_error(await client.get(path), 404)


@pytest.mark.anyio
@pytest.mark.parametrize(
    "params",
    [{"limit": "abc"}, {"offset": "-1"}, {"deleted": "maybe"}, {"sorts": "title sideways"}],
)
async def test_malformed_values_are_400(client: httpx.AsyncClient, params: dict[str, str]) -> None:
    """A malformed value of a declared parameter answers 400 with an error body."""
    assert_error(await client.get("/dashboards/search", params=params), 400)


@pytest.mark.anyio
async def test_content_metadata_access_per_cmid(
    client: httpx.AsyncClient, shared_app: MockLooker
) -> None:
    """Each folder's and board's access list is served by content_metadata_id."""
    truth = shared_app.ground_truth()["content_metadata_access"]
    assert truth
    for cmid, entries in truth.items():
        response = await client.get(
            "/content_metadata_access", params={"content_metadata_id": cmid}
        )
        assert response.json() == entries
    assert_error(await client.get("/content_metadata_access"), 400)
    missing = await client.get("/content_metadata_access", params={"content_metadata_id": "0"})
    assert_error(missing, 404)


# ----- knobs ---------------------------------------------------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize(("retry_after", "expected"), [(None, None), (1.2, "2")])
async def test_rate_limit_answers_429(retry_after: float | None, expected: str | None) -> None:
    """Beyond the global rate the mock answers 429 with x-looker-rate-limited (+ Retry-After)."""
    clock = FakeClock()
    app = MockLooker(MockOptions(rate_limit_per_s=3, retry_after_s=retry_after), clock=clock)
    async with make_client(app) as http:
        await login(http)  # login is exempt from the limit
        statuses = [(await http.get("/user")).status_code for _ in range(3)]
        limited = await http.get("/user")
        clock.now += 1
        recovered = await http.get("/user")
    assert statuses == [200, 200, 200]
    assert_error(limited, 429)
    assert limited.headers["x-looker-rate-limited"] == "true"
    assert limited.headers.get("retry-after") == expected
    assert recovered.status_code == 200
    assert app.stats.rate_limited == 1


async def _statuses(seed: int, n: int, rate: float) -> list[int]:
    app = MockLooker(MockOptions(seed=seed, fault_rate=rate))
    async with make_client(app) as http:
        await login(http)
        return [(await http.get("/user")).status_code for _ in range(n)]


@pytest.mark.anyio
async def test_fault_injection_rate_and_reproducibility() -> None:
    """About fault_rate of API requests fail with 5xx + error body, identically for a seed."""
    first = await _statuses(seed=7, n=400, rate=0.25)
    again = await _statuses(seed=7, n=400, rate=0.25)
    other = await _statuses(seed=8, n=400, rate=0.25)
    faults = [s for s in first if s != 200]
    assert first == again
    assert first != other
    assert 60 <= len(faults) <= 140
    assert set(faults) == {500, 502, 503}


@pytest.mark.anyio
async def test_fault_body_is_a_looker_error() -> None:
    """An injected fault carries Looker's JSON error body."""
    app = MockLooker(MockOptions(fault_rate=1.0))
    async with make_client(app) as http:
        await login(http)  # login is never faulted
        response = await http.get("/user")
    assert response.status_code in (500, 502, 503)
    assert_error(response, response.status_code)
    assert app.stats.faults == 1


@pytest.mark.anyio
async def test_dropped_connection_is_a_transport_error() -> None:
    """With drop_rate=1 the client sees a RemoteProtocolError, never a short JSON body."""
    app = MockLooker(MockOptions(drop_rate=1.0))
    async with make_client(app) as http:
        await login(http)
        with pytest.raises(httpx.RemoteProtocolError):
            await http.get("/dashboards/search")
    assert app.stats.drops == 1


@pytest.mark.anyio
async def test_latency_knob_still_answers() -> None:
    """Added latency delays but does not change answers."""
    app = MockLooker(MockOptions(latency_ms=1, latency_jitter_ms=1))
    async with make_client(app) as http:
        await login(http)
        assert (await http.get("/user")).status_code == 200


@pytest.mark.anyio
async def test_mutations_change_what_is_served_and_the_ground_truth() -> None:
    """mutate_every=1 creates/updates/hard-deletes objects; lists and ground truth follow."""
    app = MockLooker(MockOptions(seed=3, mutate_every=1))
    before = app.ground_truth_hashes()
    async with make_client(app) as http:
        await login(http)
        for _ in range(12):
            assert (await http.get("/user")).status_code == 200
        after = app.ground_truth_hashes()
        assert app.stats.mutations == len(app.mutation_log) == 12
        assert [m.operation for m in app.mutation_log[:3]] == ["create", "update", "delete"]
        for kind, ids in _replay(app.mutation_log, before).items():
            assert set(after[kind]) == ids
            params = {"fields": "id", "all_users": "true"}  # undeclared params are ignored
            served = (await http.get(f"/{kind}/search", params=params)).json()
            live = {i for i, o in app.data.objects[kind].items() if not o.get("deleted")}
            assert {item["id"] for item in served} == live
    for m in app.mutation_log[:12]:  # the later ones came after `after` was taken
        if m.operation == "update" and m.item_id in before[m.content_type]:
            assert after[m.content_type].get(m.item_id) != before[m.content_type][m.item_id]


def _replay(log: list, before: dict) -> dict[str, set[str]]:
    """The ids each mutated type should hold after applying the log to `before`."""
    ids = {m.content_type: set(before[m.content_type]) for m in log}
    for mutation in log:
        kind_ids = ids[mutation.content_type]
        if mutation.operation == "create":
            assert mutation.item_id not in kind_ids
            kind_ids.add(mutation.item_id)
        elif mutation.operation == "delete":
            kind_ids.remove(mutation.item_id)
        else:
            assert mutation.item_id in kind_ids
    return ids


@pytest.mark.anyio
async def test_same_seed_same_mutations() -> None:
    """The mutation cycle is reproducible from the seed."""
    logs = []
    for _ in range(2):
        app = MockLooker(MockOptions(seed=5, mutate_every=2))
        async with make_client(app) as http:
            await login(http)
            for _ in range(10):
                await http.get("/versions")
        logs.append(app.mutation_log)
    assert logs[0] == logs[1] and len(logs[0]) == 5


def test_ground_truth_covers_every_type(shared_app: MockLooker) -> None:
    """ground_truth has every content type (trash included) and the access lists."""
    truth = shared_app.ground_truth()
    for content_type, objects in shared_app.data.objects.items():
        assert truth[content_type] == objects
    cmids = {
        str(o["content_metadata_id"])
        for kind in ("folders", "boards")
        for o in shared_app.data.objects[kind].values()
    }
    assert set(truth["content_metadata_access"]) == cmids


@pytest.mark.anyio
async def test_lifespan_is_acknowledged(shared_app: MockLooker) -> None:
    """The app completes the ASGI lifespan handshake."""
    messages = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
    sent: list[dict] = []

    async def receive() -> dict:
        return messages.pop(0)

    async def send(message: dict) -> None:
        sent.append(message)

    await shared_app({"type": "lifespan"}, receive, send)
    assert [m["type"] for m in sent] == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
