"""extract's flow on loopback: nothing created before login, failures summed up, one instance."""

from __future__ import annotations

import json
import logging
import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lookervault.mock.app import MockLooker, MockOptions
from lookervault.mock.server import serve_in_thread
from tests.chaos.support import Outcome, run_cli, set_connection_env

pytestmark = pytest.mark.integration


@pytest.fixture(autouse=True)
def _keep_logging() -> Iterator[None]:
    """The in-process CLI installs its own root handler; put pytest's back afterwards."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


class _FailingAlerts:
    """The mock, except that alerts (pages and by id, not the id listing) always answer 503."""

    def __init__(self, mock: MockLooker) -> None:
        self.mock = mock

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if (
            scope["type"] == "http"
            and "/alerts" in scope["path"]
            and b"fields=" not in scope.get("query_string", b"")
        ):
            await send({"type": "http.response.start", "status": 503, "headers": []})
            await send({"type": "http.response.body", "body": b""})
            return
        await self.mock(scope, receive, send)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _extract(capsys: pytest.CaptureFixture[str], *args: str) -> Outcome:
    return run_cli(capsys, "extract", "--quiet", *args)


@pytest.mark.parametrize("refusal", ["wrong secret", "closed port"])
def test_a_refused_login_creates_no_file(
    refusal: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A wrong secret or a closed port is exit 3 and leaves neither vault nor lock behind."""
    monkeypatch.chdir(tmp_path)
    with serve_in_thread(MockLooker(MockOptions(preset="tiny"))) as base_url:
        if refusal == "wrong secret":
            set_connection_env(monkeypatch, base_url, LOOKERSDK_CLIENT_SECRET="not-it-xyz")
        else:
            set_connection_env(monkeypatch, f"http://127.0.0.1:{_closed_port()}")
        outcome = _extract(capsys, "user_attributes")
    assert outcome.code == 3, outcome.err
    assert outcome.err.startswith("error:")
    assert os.listdir(tmp_path) == []


def test_a_base_url_with_a_wrong_path_says_there_is_no_looker_api(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A base URL with an extra path reaches no Looker API: exit 3 saying so, not 'refused'."""
    monkeypatch.chdir(tmp_path)
    with serve_in_thread(MockLooker(MockOptions(preset="tiny"))) as base_url:
        set_connection_env(monkeypatch, base_url + "/looker")
        outcome = _extract(capsys, "user_attributes")
    assert outcome.code == 3, outcome.err
    assert outcome.err.startswith(f"error: no Looker API at {base_url}/looker: POST"), outcome.err
    assert "refused" not in outcome.err
    assert os.listdir(tmp_path) == []


def test_partial_run_sums_up_per_type_and_says_how_to_continue(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Failed alert pages: one summary line, the `failures` pointer, and the resume command."""
    db = tmp_path / "v.db"
    mock = MockLooker(MockOptions(preset="tiny"))
    with serve_in_thread(_FailingAlerts(mock)) as base_url:  # type: ignore[arg-type]
        set_connection_env(monkeypatch, base_url)
        outcome = _extract(capsys, "--db", str(db), "--page-size", "2", "alerts", "roles")
    assert outcome.code == 4, outcome.err
    failed = [line for line in outcome.out.splitlines() if "failed" in line]
    assert len(failed) == 1, outcome.out
    assert failed[0].startswith("  failed: alerts: ")
    assert failed[0].endswith(
        " items failed; first: Looker answered 503 Service Unavailable for GET "
        "/api/4.0/alerts/search"
    )
    assert f"  every failure: lookervault failures --run 1 --db {db}" in outcome.out
    assert outcome.err.splitlines()[-1] == (
        f"to continue: lookervault extract --resume --db {db} alerts roles"
    )
    listed = run_cli(capsys, "failures", "--db", str(db), "--json")
    rows = json.loads(listed.out)
    assert rows and {row["content_type"] for row in rows} == {"alerts"}
    assert {row["what"].split(" ")[0] for row in rows} <= {"page", "item", "the"}


def test_a_vault_of_another_instance_is_refused_unless_allowed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Exit 2 naming both URLs; --allow-other-instance backs the second Looker up anyway."""
    db = str(tmp_path / "v.db")
    with serve_in_thread(MockLooker(MockOptions(preset="tiny"))) as first:
        set_connection_env(monkeypatch, first)
        assert _extract(capsys, "--db", db, "user_attributes").code == 0
    with serve_in_thread(MockLooker(MockOptions(preset="tiny"))) as second:
        set_connection_env(monkeypatch, second)
        refused = _extract(capsys, "--db", db, "user_attributes")
        assert refused.code == 2, refused.err
        assert refused.err.startswith("error: ") and len(refused.err.splitlines()) == 1
        assert first in refused.err and second in refused.err
        allowed = _extract(capsys, "--db", db, "--allow-other-instance", "user_attributes")
    assert allowed.code == 0, allowed.err
