"""The official looker-sdk talks to the mock: its answers parse into SDK models and match the truth."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import looker_sdk
import pytest
from looker_sdk.sdk.api40 import methods, models

from lookervault.mock.app import MockLooker, MockOptions
from lookervault.mock.server import serve_in_thread

pytestmark = pytest.mark.integration

OPTIONS = MockOptions(seed=11, counts={"dashboards": 40, "looks": 40, "users": 25, "alerts": 12})


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[MockLooker, str]]:
    """One mock on a loopback port for the whole module."""
    app = MockLooker(OPTIONS)
    with serve_in_thread(app) as base_url:
        yield app, base_url


@pytest.fixture
def sdk(
    served: tuple[MockLooker, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[methods.Looker40SDK]:
    """init40() configured only through LOOKERSDK_* variables (no looker.ini in the cwd)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LOOKERSDK_BASE_URL", served[1])
    monkeypatch.setenv("LOOKERSDK_CLIENT_ID", OPTIONS.client_id)
    monkeypatch.setenv("LOOKERSDK_CLIENT_SECRET", OPTIONS.client_secret)
    monkeypatch.setenv("LOOKERSDK_VERIFY_SSL", "false")
    client = looker_sdk.init40()
    yield client
    client.auth.logout()
    client.transport.session.close()


@pytest.fixture
def truth(served: tuple[MockLooker, str]) -> dict[str, dict[str, Any]]:
    """The mock's objects by type."""
    return served[0].ground_truth()


def ids(items: Any, model: type) -> list[str]:
    assert all(isinstance(item, model) for item in items)
    return sorted((str(item.id) for item in items), key=int)


def live_ids(objects: dict[str, Any]) -> list[str]:
    return sorted((i for i, o in objects.items() if not o.get("deleted")), key=int)


def all_ids(objects: dict[str, Any]) -> list[str]:
    return sorted(objects, key=int)


def test_content_searches(sdk: methods.Looker40SDK, truth: dict[str, dict[str, Any]]) -> None:
    """search_dashboards/looks/folders return every live item as SDK models."""
    dashboards = sdk.search_dashboards()
    assert ids(dashboards, models.Dashboard) == live_ids(truth["dashboards"])
    by_id = {d.id: d for d in dashboards}
    assert all(d.title == truth["dashboards"][i]["title"] for i, d in by_id.items())
    assert ids(sdk.search_looks(), models.Look) == live_ids(truth["looks"])
    assert ids(sdk.search_looks(deleted=True), models.Look) == sorted(
        set(truth["looks"]) - set(live_ids(truth["looks"])), key=int
    )
    assert ids(sdk.search_folders(), models.Folder) == all_ids(truth["folders"])


def test_people_and_permissions(sdk: methods.Looker40SDK, truth: dict[str, dict[str, Any]]) -> None:
    """all_users/groups/roles/permission_sets/model_sets/user_attributes parse and match."""
    assert ids(sdk.all_users(), models.User) == all_ids(truth["users"])
    assert ids(sdk.all_groups(), models.Group) == all_ids(truth["groups"])
    assert ids(sdk.all_roles(), models.Role) == all_ids(truth["roles"])
    assert ids(sdk.all_permission_sets(), models.PermissionSet) == all_ids(truth["permission_sets"])
    assert ids(sdk.all_model_sets(), models.ModelSet) == all_ids(truth["model_sets"])
    attributes = sdk.all_user_attributes()
    assert ids(attributes, models.UserAttribute) == all_ids(truth["user_attributes"])


def test_schedules_alerts_themes(
    sdk: methods.Looker40SDK, truth: dict[str, dict[str, Any]]
) -> None:
    """search_scheduled_plans/search_alerts (all owners) and search_themes parse and match."""
    plans = sdk.search_scheduled_plans(all_users=True)
    assert ids(plans, models.ScheduledPlan) == all_ids(truth["scheduled_plans"])
    assert ids(sdk.search_alerts(all_owners=True), models.Alert) == all_ids(truth["alerts"])
    assert ids(sdk.search_themes(), models.Theme) == all_ids(truth["themes"])


def test_lookml_models_and_explores(
    sdk: methods.Looker40SDK, truth: dict[str, dict[str, Any]]
) -> None:
    """all_lookml_models and lookml_model_explore return every model and each of its explores."""
    lookml = sdk.all_lookml_models()
    assert all(isinstance(m, models.LookmlModel) for m in lookml)
    assert sorted(m.name for m in lookml) == sorted(truth["lookml_models"])
    seen = []
    for model in lookml:
        for nav in model.explores or []:
            explore = sdk.lookml_model_explore(model.name, nav.name)
            assert isinstance(explore, models.LookmlModelExplore)
            seen.append(explore.id)
    assert sorted(seen) == sorted(truth["explores"])


def test_me_is_the_api_user(sdk: methods.Looker40SDK, served: tuple[MockLooker, str]) -> None:
    """me() returns the mock's API user."""
    assert sdk.me().id == served[0].data.me_id
