"""Tests for lookervault.backup.preflight: who the API user is, and a limited run's promises."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import anyio
import httpx
import pytest

from lookervault.backup.preflight import (
    ADMIN,
    LIMITED,
    Access,
    plan_types,
    preflight,
    read_access,
    start_session,
)
from lookervault.backup.run import ExtractOptions, extract
from lookervault.content import CONTENT_TYPES, ListSource, content_type
from lookervault.endpoints import for_release
from lookervault.errors import ConnectError, ExitCode
from lookervault.looker.client import LookerClient
from lookervault.mock.app import MockLooker, MockOptions
from lookervault.mock.caller import NONADMIN_PERMISSIONS, trim_user
from lookervault.mock.data import canonical_hash
from lookervault.vault.store import Vault
from tests.backup.test_run import _settings
from tests.looker.fake_looker import FakeLooker
from tests.looker.fake_looker import settings as fake_settings
from tests.support import assert_vault_equals, vault_hashes

pytestmark = pytest.mark.anyio

_NONADMIN = Access("26.12.3", "7", "api", False, frozenset(NONADMIN_PERMISSIONS))
_FULL_TYPES = ("folders", "boards", "groups", "roles", "lookml_models", "explores", "themes")


async def _access(options: MockOptions) -> Access:
    transport = httpx.ASGITransport(app=MockLooker(options))
    async with LookerClient(_settings(), transport=transport) as client:
        return await read_access(client, await client.versions())


async def test_admin_is_read_from_the_roles_permission_sets() -> None:
    """The default mock's API user has an all-access role: admin, release from /versions."""
    access = await _access(MockOptions())
    assert (access.admin, access.label, access.release) == (True, ADMIN, "26.12.3")


async def test_nonadmin_has_only_its_roles_permissions() -> None:
    """A user whose roles lack administer is not admin; its permissions are its roles'."""
    access = await _access(MockOptions(api_user="nonadmin"))
    assert (access.admin, access.label) == (False, LIMITED)
    assert access.permissions == frozenset(NONADMIN_PERMISSIONS)


async def test_unreadable_roles_count_as_limited_and_say_why() -> None:
    """A 403 on the user's roles: not admin, with a note naming what could not be read."""
    looker = FakeLooker()
    looker.script("/user", httpx.Response(200, json={"id": "5", "display_name": "svc"}))
    looker.script("/users/5/roles", httpx.Response(403, json={"message": "Forbidden"}))
    async with LookerClient(fake_settings(), transport=httpx.MockTransport(looker)) as client:
        access = await read_access(client, {"looker_release_version": "25.2.0"})
    assert not access.admin
    assert access.note is not None and "403" in access.note


def test_admin_plan_is_the_registry() -> None:
    """An admin reads every type as the registry says for its release, nothing lacking."""
    admin = Access("26.12.3", "1", "a", True, frozenset())
    types, plans = plan_types(CONTENT_TYPES, admin)
    assert types == for_release(CONTENT_TYPES, (26, 12))
    assert all(plan.permitted for plan in plans)


def test_nonadmin_plan_leaves_out_what_needs_admin_rights() -> None:
    """No trash variant, no all_owners, no all_users; users are named as lacking their emails."""
    types, plans = plan_types(CONTENT_TYPES, _NONADMIN)
    by_name = {ct.name: ct.source for ct in types}
    lacking = {plan.name: plan.lacking for plan in plans if plan.lacking}
    assert set(lacking) == {"dashboards", "looks", "users", "scheduled_plans", "alerts"}
    for name in ("dashboards", "looks"):
        source = by_name[name]
        assert isinstance(source, ListSource)
        assert source.variants == ({"deleted": "false"},)
    for name, flag in (("alerts", "all_owners"), ("scheduled_plans", "all_users")):
        source = by_name[name]
        assert isinstance(source, ListSource) and flag not in source.params


def test_see_schedules_keeps_all_users_schedules() -> None:
    """A non-admin with see_schedules still lists every user's schedules."""
    access = Access("26.12.3", "7", "api", False, frozenset({"see_schedules"}))
    types, plans = plan_types([content_type("scheduled_plans")], access)
    assert types == (content_type("scheduled_plans"),)
    assert plans[0].permitted


def test_skipping_personal_folders_skips_their_access_requests() -> None:
    """--skip-personal-folder-access: no access request for personal folders, the rest kept."""
    admin = Access(None, "1", "a", True, frozenset())
    (ct,), _ = plan_types(
        [content_type("content_metadata_access")], admin, skip_personal_folder_access=True
    )
    keys = ct.source.keys  # type: ignore[union-attr]
    assert list(keys("folders", {"content_metadata_id": 3, "is_personal": True})) == []
    assert list(keys("folders", {"content_metadata_id": 4, "is_personal": False})) == [("4",)]
    assert list(keys("boards", {"content_metadata_id": 5})) == [("5",)]


async def _run(mock: MockLooker, db: Path) -> object:
    with Vault(db) as vault:
        options = ExtractOptions(workers=2, page_size=5)
        return await extract(_settings(), vault, options, transport=httpx.ASGITransport(app=mock))


async def test_limited_run_is_marked_and_marks_nothing_gone(tmp_path: Path) -> None:
    """After a full admin run, a non-admin run is limited and leaves every item present."""
    db = tmp_path / "v.db"
    admin = MockLooker(MockOptions())
    assert (await _run(admin, db)).access == ADMIN  # type: ignore[attr-defined]
    before = vault_hashes(db)
    limited = await _run(MockLooker(MockOptions(api_user="nonadmin")), db)
    assert (limited.status, limited.access) == ("complete", LIMITED)  # type: ignore[attr-defined]
    with Vault(db) as vault:
        assert [run.access for run in vault.runs()] == [ADMIN, LIMITED]
    with sqlite3.connect(db) as conn:
        gone = conn.execute('SELECT count(*) FROM "items" WHERE "gone_run_id" IS NOT NULL')
        assert gone.fetchone() == (0,)
    after = vault_hashes(db)
    assert {name: set(items) for name, items in after.items()} == {
        name: set(items) for name, items in before.items()
    }


async def test_limited_run_stores_what_the_user_sees(tmp_path: Path) -> None:
    """A non-admin run alone: full types equal the truth, users equal the trimmed truth."""
    db = tmp_path / "v.db"
    mock = MockLooker(MockOptions(api_user="nonadmin"))
    await _run(mock, db)
    truth = mock.ground_truth_hashes()
    assert_vault_equals(db, truth, list(_FULL_TYPES))
    users = {i: canonical_hash(trim_user(u)) for i, u in mock.data.objects["users"].items()}
    assert vault_hashes(db)["users"] == users
    live = {i for i, d in mock.data.objects["dashboards"].items() if not d.get("deleted")}
    assert set(vault_hashes(db)["dashboards"]) == live


@pytest.mark.parametrize("path", ["/versions", "/user"])
async def test_looker_failing_the_preflight_is_unavailable_not_a_bug(
    path: str, tmp_path: Path
) -> None:
    """5xx through every retry on /versions or /user: ConnectError (exit 3), no vault opened."""
    looker = FakeLooker()
    looker.script(path, httpx.Response(503, json={"message": "Service unavailable"}))
    opened: list[Path] = []

    def opener() -> Vault:
        opened.append(tmp_path / "v.db")
        return Vault(opened[-1])

    transport = httpx.MockTransport(looker)
    with pytest.raises(ConnectError) as caught:
        await extract(fake_settings(), opener, ExtractOptions(), transport=transport)
    assert caught.value.exit_code == ExitCode.CONNECT
    message = str(caught.value)
    assert message.startswith("Looker is not answering: GET ") and "503" in message
    assert "\n" not in message and "token" not in message.lower()
    assert len(looker.requests_to(path)) > 1  # retried first
    assert not opened and not (tmp_path / "v.db").exists()


class _VersionsAfterUser(httpx.AsyncBaseTransport):
    """The mock, except that `/versions` is answered only once `/user` has arrived too."""

    def __init__(self, app: MockLooker) -> None:
        self._inner = httpx.ASGITransport(app=app)
        self._user = anyio.Event()
        self.paths: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.paths.append(request.url.path)
        if request.url.path.endswith("/user"):
            self._user.set()
        if request.url.path.endswith("/versions"):
            await self._user.wait()  # sent one after the other, this would never answer
        return await self._inner.handle_async_request(request)


async def test_versions_go_beside_the_user_and_give_the_same_preflight() -> None:
    """`/versions` and `/user` are in flight together; the outcome is the sequential one."""
    mock = MockLooker(MockOptions())
    transport = _VersionsAfterUser(mock)
    options = ExtractOptions()
    async with LookerClient(_settings(), transport=transport) as client:
        with anyio.fail_after(10):
            versions, found = await start_session(client, CONTENT_TYPES, options)
        assert versions == await client.versions()
        assert found == await preflight(client, versions, CONTENT_TYPES, options)
    assert found.access.release == "26.12.3" and found.access.admin


async def test_a_failed_versions_request_is_the_error_named_first() -> None:
    """/versions and /user both failing: the error is /versions', as if asked one by one."""
    looker = FakeLooker()
    looker.script("/versions", httpx.Response(404, json={"message": "Not found"}))
    looker.script("/user", *[httpx.Response(503, json={"message": "Unavailable"})] * 5)
    async with LookerClient(fake_settings(), transport=httpx.MockTransport(looker)) as client:
        with pytest.raises(ConnectError, match="/versions"):
            await start_session(client, CONTENT_TYPES, ExtractOptions())
