"""`lookervault check` against the mock Looker on loopback: release, API user, endpoints, status."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator

import pytest

from lookervault.cli.check import LIMITED_EXIT
from lookervault.content import CONTENT_TYPES
from lookervault.mock.app import MockLooker, MockOptions
from lookervault.mock.server import serve_in_thread
from tests.chaos.support import run_cli, set_connection_env

pytestmark = pytest.mark.integration


@pytest.fixture
def serve(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[MockOptions], MockLooker]]:
    """Serve a mock with the given options and point the CLI at it; stopped after the test."""
    with contextlib.ExitStack() as stack:

        def start(options: MockOptions) -> MockLooker:
            mock = MockLooker(options)
            set_connection_env(monkeypatch, stack.enter_context(serve_in_thread(mock)))
            return mock

        yield start


def test_admin_check_exits_0_with_every_type_full(serve, capsys) -> None:
    """An admin API user: release and user named, every type full, exit 0, no content fetched."""
    mock = serve(MockOptions())
    outcome = run_cli(capsys, "check")
    assert outcome.code == 0, outcome.err
    assert "(release 26.12.3)" in outcome.out and ": admin" in outcome.out
    for ct in CONTENT_TYPES:
        assert any(
            line.startswith(f"{ct.name} ") and " full " in line for line in outcome.out.splitlines()
        )
    assert mock.stats.requests == 5  # login, versions, user, roles, logout


def test_nonadmin_on_an_old_release_is_limited(serve, capsys) -> None:
    """A non-admin on 24.10: exit 6, the old schedules endpoint, what each type lacks."""
    serve(MockOptions(api_user="nonadmin", release="24.10"))
    outcome = run_cli(capsys, "check", "--json")
    assert outcome.code == LIMITED_EXIT == 6, outcome.err
    report = json.loads(outcome.out)
    assert (report["looker_release"], report["admin"], report["access"]) == (
        "24.10.0",
        False,
        "limited",
    )
    types = {t["content_type"]: t for t in report["types"]}
    assert types["scheduled_plans"]["endpoint"] == "GET /scheduled_plans (one request)"
    limited = {name for name, t in types.items() if not t["permitted"]}
    assert limited == {"dashboards", "looks", "users", "scheduled_plans", "alerts"}
    assert report["note"].startswith("LIMITED BACKUP:")


def test_check_of_some_types_lists_only_those(serve, capsys) -> None:
    """`check dashboards` names dashboards only, singular or plural."""
    serve(MockOptions())
    outcome = run_cli(capsys, "check", "dashboard", "--json")
    assert outcome.code == 0, outcome.err
    assert [t["content_type"] for t in json.loads(outcome.out)["types"]] == ["dashboards"]


def test_refused_credentials_exit_3_with_one_line(serve, capsys, monkeypatch) -> None:
    """Wrong secret: one error line, exit 3, no traceback."""
    serve(MockOptions())
    monkeypatch.setenv("LOOKERSDK_CLIENT_SECRET", "wrong")
    outcome = run_cli(capsys, "check")
    assert outcome.code == 3
    assert outcome.err.count("error:") == 1 and "Traceback" not in outcome.err
    assert "wrong" not in outcome.err


def test_unknown_type_exits_2(capsys) -> None:
    """A misspelt type is a usage error before any connection."""
    outcome = run_cli(capsys, "check", "dashbords")
    assert outcome.code == 2
    assert "did you mean 'dashboards'" in outcome.err
