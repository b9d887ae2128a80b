"""The mock's chaos knobs: bursts, storms, stalls, bad bodies, shifted pages, a big item."""

from __future__ import annotations

import httpx
import orjson
import pytest

from lookervault.mock.app import MockLooker
from lookervault.mock.chaos import BIG_ITEM_FIELD
from lookervault.mock.options import MockOptions
from lookervault.mock.routes import API_PREFIX
from tests.mock.test_app import FakeClock, login, make_client

pytestmark = pytest.mark.anyio


async def _statuses(app: MockLooker, n: int, path: str = "/dashboards/search") -> list[int]:
    async with make_client(app) as client:
        await login(client)
        return [(await client.get(path)).status_code for _ in range(n)]


async def test_fault_burst_repeats_the_status() -> None:
    """With fault_burst=3 every fault answers three requests in a row with one status."""
    app = MockLooker(MockOptions(fault_rate=0.2, fault_burst=3, seed=1))
    statuses = await _statuses(app, 60)
    runs = "".join("x" if s >= 500 else "." for s in statuses).split(".")
    assert all(len(run) % 3 == 0 for run in runs if run) or statuses[-1] >= 500
    assert app.stats.bursts > 0 and app.stats.faults == sum(s >= 500 for s in statuses)


async def test_storm_answers_429_for_its_duration() -> None:
    """A storm answers every request 429 until storm_s passes on the mock's clock."""
    clock = FakeClock()
    app = MockLooker(MockOptions(storm_rate=1.0, storm_s=2.0, retry_after_s=1), clock=clock)
    async with make_client(app) as client:
        await login(client)
        first = await client.get("/dashboards/search")
        clock.now += 1.0
        during = await client.get("/dashboards/search")
    assert first.status_code == during.status_code == 429
    assert first.headers["Retry-After"] == "1"
    assert app.stats.storms == 1


async def test_bad_bodies_are_200_and_not_json() -> None:
    """bad_json and html answers keep status 200 but carry no valid JSON."""
    for options in (MockOptions(bad_json_rate=1.0), MockOptions(html_rate=1.0)):
        app = MockLooker(options)
        async with make_client(app) as client:
            await login(client)
            answer = await client.get("/dashboards/search")
        assert answer.status_code == 200
        with pytest.raises(ValueError):
            orjson.loads(answer.content)
    assert answer.headers["content-type"].startswith("text/html")


async def test_wrong_shapes_cover_each_form() -> None:
    """Wrong-shape list answers: an object, an item without id, or bytes that are not UTF-8."""
    app = MockLooker(MockOptions(wrong_shape_rate=1.0, seed=4))
    forms = set()
    async with make_client(app) as client:
        await login(client)
        for _ in range(30):
            body = (await client.get("/dashboards/search")).content
            try:
                parsed = orjson.loads(body)
            except orjson.JSONDecodeError:
                forms.add("bytes")
                continue
            forms.add("object" if isinstance(parsed, dict) else "no id")
            if isinstance(parsed, list):
                assert "id" not in parsed[0]
    assert forms == {"bytes", "object", "no id"}


async def test_shift_repeats_or_skips_one_item_past_the_first_page() -> None:
    """Shifted pages start one item early or late; the first page never moves."""
    app = MockLooker(MockOptions(shift_rate=1.0, seed=2))
    ordered = sorted(app.data.objects["users"], key=int)
    async with make_client(app) as client:
        await login(client)
        first = (await client.get("/users/search", params={"limit": 2, "offset": 0})).json()
        second = (await client.get("/users/search", params={"limit": 2, "offset": 2})).json()
    assert [u["id"] for u in first] == ordered[:2]
    assert [u["id"] for u in second] in (ordered[1:3], ordered[3:5])
    assert app.stats.shifts == 1


async def test_big_item_is_served_and_in_the_ground_truth() -> None:
    """big_item_bytes adds one field of that size to the first dashboard, truth included."""
    app = MockLooker(MockOptions(big_item_bytes=1_000_000))
    first = min(app.data.objects["dashboards"], key=int)
    async with make_client(app) as client:
        await login(client)
        answer = await client.get(f"/dashboards/{first}")
    assert len(answer.json()[BIG_ITEM_FIELD]) == 1_000_000
    assert app.ground_truth()["dashboards"][first][BIG_ITEM_FIELD] == "x" * 1_000_000


async def test_stall_still_answers_after_the_delay() -> None:
    """A stalled request answers normally once stall_s has passed."""
    app = MockLooker(MockOptions(stall_rate=1.0, stall_s=0.01))
    assert await _statuses(app, 2) == [200, 200]
    assert app.stats.stalls == 2


async def test_issued_tokens_are_remembered() -> None:
    """Every token the mock hands out is listed, so tests can grep output for it."""
    app = MockLooker()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://mock" + API_PREFIX) as http:
        await login(http)
        token = http.headers["Authorization"].split()[1]
    assert app.issued_tokens == [token]


async def test_knobs_off_by_default_inject_nothing() -> None:
    """With default options no chaos fault is ever injected."""
    app = MockLooker()
    await _statuses(app, 20)
    assert app.stats.injected() == 0


async def test_wrong_shapes_can_spare_id_listings() -> None:
    """With wrong_shape_listings=False, `fields=` listings stay intact while pages go wrong."""
    app = MockLooker(MockOptions(wrong_shape_rate=1.0, wrong_shape_listings=False, seed=4))
    async with make_client(app) as client:
        await login(client)
        listing = await client.get("/dashboards/search", params={"fields": "id"})
        page = await client.get("/dashboards/search")
    assert all("id" in item for item in listing.json())
    assert page.content != listing.content and app.stats.wrong_shapes == 1
