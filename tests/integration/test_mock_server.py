"""The mock Looker over a real loopback socket: in a thread, dropping connections, as a CLI process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import httpx
import pytest

from lookervault.mock.app import API_PREFIX, MockLooker, MockOptions
from lookervault.mock.server import serve_in_thread

pytestmark = pytest.mark.integration

CREDENTIALS = {"client_id": MockOptions.client_id, "client_secret": MockOptions.client_secret}
PROCESS_TIMEOUT_S = 60


def test_serve_in_thread_answers_and_stops() -> None:
    """serve_in_thread yields a loopback URL that serves logins, searches and the control API."""
    app = MockLooker()
    with serve_in_thread(app) as base_url, httpx.Client(base_url=base_url) as http:
        assert base_url.startswith("http://127.0.0.1:")
        token = http.post(API_PREFIX + "/login", data=CREDENTIALS).json()["access_token"]
        headers = {"Authorization": f"token {token}"}
        users = http.get(API_PREFIX + "/users/search", params={"limit": 2}, headers=headers)
        stats = http.get("/__mock__/stats").json()
    assert [u["id"] for u in users.json()] == ["1", "2"]
    assert stats["by_status"]["200"] == 2  # the login and the search
    with pytest.raises(httpx.ConnectError):
        httpx.get(base_url + "/__mock__/stats")


def test_dropped_connection_is_a_transport_error_over_a_socket() -> None:
    """drop_rate=1: httpx reports a RemoteProtocolError (incomplete body), not a short response."""
    app = MockLooker(MockOptions(drop_rate=1.0))
    with serve_in_thread(app) as base_url, httpx.Client(base_url=base_url) as http:
        token = http.post(API_PREFIX + "/login", data=CREDENTIALS).json()["access_token"]
        with pytest.raises(httpx.RemoteProtocolError):
            http.get(API_PREFIX + "/dashboards/search", headers={"Authorization": f"token {token}"})
        assert http.get("/__mock__/stats").json()["drops"] == 1


def _spawn_cli(*flags: str) -> subprocess.Popen[str]:
    code = textwrap.dedent(
        """
        import sys
        from lookervault.mock.cli import mock_app
        mock_app(["serve", *sys.argv[1:]])
        """
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOOKERSDK_")}
    return subprocess.Popen(
        [sys.executable, "-c", code, *flags],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_cli_prints_url_serves_and_stops_cleanly(stop_signal: signal.Signals) -> None:
    """`mock serve --port 0` prints its URL, accepts a login, and exits 0 on SIGTERM/SIGINT."""
    secret = "s3cret-for-this-test"
    process = _spawn_cli("--port", "0", "--client-secret", secret, "--count", "users=7")
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("listening on http://127.0.0.1:"), line
        base_url = line.removeprefix("listening on ").strip()
        form = {"client_id": MockOptions.client_id, "client_secret": secret}
        with httpx.Client(base_url=base_url) as http:
            assert http.post(API_PREFIX + "/login", data=form).status_code == 200
            truth = http.get("/__mock__/ground_truth", params={"hashes": "1"}).json()
        assert len(truth["users"]) == 7
        process.send_signal(stop_signal)
        out, err = process.communicate(timeout=PROCESS_TIMEOUT_S)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, err
    assert out == ""
    assert secret not in line + out + err
