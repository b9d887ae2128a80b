"""Tests for lookervault.mock.caller: the mock's --api-user and --release knobs."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from lookervault.mock.app import MockLooker, MockOptions
from lookervault.mock.caller import NONADMIN_PERMISSIONS
from tests.mock.test_data import _errors

pytestmark = pytest.mark.anyio

_ADMIN_ONLY = (
    "/scheduled_plans/search?all_users=true",
    "/scheduled_plans?all_users=true",
    "/alerts/search?all_owners=true",
    "/dashboards/search?deleted=true",
    "/looks/search?deleted=true",
)
Get = Callable[[str], Any]


@asynccontextmanager
async def _session(options: MockOptions) -> AsyncIterator[tuple[MockLooker, Get]]:
    mock = MockLooker(options)
    transport = httpx.ASGITransport(app=mock)
    async with httpx.AsyncClient(transport=transport, base_url="http://m/api/4.0") as http:
        login = await http.post(
            "/login", data={"client_id": options.client_id, "client_secret": options.client_secret}
        )
        headers = {"Authorization": f"Bearer {login.json()['access_token']}"}

        async def get(path: str) -> httpx.Response:
            return await http.get(path, headers=headers)

        yield mock, get


async def test_default_mock_is_an_admin_on_a_current_release() -> None:
    """Off by default: every admin-only listing answers, and the API user's role has all access."""
    async with _session(MockOptions()) as (mock, get):
        assert not mock.caller.active
        for path in _ADMIN_ONLY:
            assert (await get(path)).status_code == 200, path
        (role,) = (await get("/users/1/roles")).json()
        assert role["permission_set"]["all_access"] is True
        assert (await get("/user")).json()["email"]


async def test_nonadmin_gets_403_for_admin_only_listings_and_its_own_items_otherwise() -> None:
    """A non-admin: 403 for all owners, all users and the trash; its own alerts still answer."""
    async with _session(MockOptions(api_user="nonadmin")) as (mock, get):
        for path in _ADMIN_ONLY:
            assert (await get(path)).status_code == 403, path
        own = (await get("/alerts/search")).json()
        me = mock.data.me_id
        expected = [a for a in mock.data.objects["alerts"].values() if a["owner_id"] == me]
        assert [a["id"] for a in own] == [a["id"] for a in expected]
        assert (await get("/dashboards/search?deleted=false")).status_code == 200


async def test_nonadmin_sees_users_without_emails_or_credentials() -> None:
    """Users (listed, by id and /user) lose email and credentials and still match the User schema."""
    async with _session(MockOptions(api_user="nonadmin")) as (mock, get):
        listed = (await get("/users/search")).json()
        assert len(listed) == len(mock.data.objects["users"])
        for user in [*listed, (await get("/users/2")).json(), (await get("/user")).json()]:
            assert "email" not in user
            assert not [key for key in user if key.startswith("credentials_")]
            assert _errors("User", user) == []


async def test_nonadmin_roles_lack_administer() -> None:
    """The API user's roles carry a permission set without administer or all access."""
    async with _session(MockOptions(api_user="nonadmin")) as (_, get):
        me = (await get("/user")).json()
        (role,) = (await get(f"/users/{me['id']}/roles")).json()
        assert [role["id"]] == me["role_ids"]
        assert role["permission_set"]["permissions"] == list(NONADMIN_PERMISSIONS)
        assert role["permission_set"]["all_access"] is False
        assert _errors("Role", role) == []
        assert (await get("/users/999999/roles")).status_code == 404


async def test_release_before_24_18_has_no_schedule_search() -> None:
    """--release 24.17: /versions says so, search_scheduled_plans is 404, the old list answers."""
    async with _session(MockOptions(release="24.17")) as (mock, get):
        assert (await get("/versions")).json()["looker_release_version"] == "24.17.0"
        assert (await get("/scheduled_plans/search?all_users=true")).status_code == 404
        every = (await get("/scheduled_plans?all_users=true")).json()
        assert len(every) == len(mock.data.objects["scheduled_plans"])


@pytest.mark.parametrize(("release", "hidden"), [("25.19", False), ("25.20", True)])
async def test_self_service_model_is_listed_only_when_asked_from_25_20(
    release: str, hidden: bool
) -> None:
    """From 25.20 the first model is left out unless include_self_service=true."""
    async with _session(MockOptions(release=release)) as (mock, get):
        every = sorted(mock.data.objects["lookml_models"])
        plain = [m["name"] for m in (await get("/lookml_models")).json()]
        asked = [m["name"] for m in (await get("/lookml_models?include_self_service=true")).json()]
        assert sorted(asked) == every
        assert sorted(plain) == (every[1:] if hidden else every)
