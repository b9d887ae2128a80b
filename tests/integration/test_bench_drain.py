"""benchmarks.drain asks what the extract asks, over the span the extract's elapsed_s covers."""

from __future__ import annotations

from pathlib import Path

import anyio
import pytest

from benchmarks.datasets import dataset
from benchmarks.drain import drain, plan_requests
from benchmarks.mockserver import MockServer
from lookervault.backup.run import ExtractOptions, extract
from lookervault.settings import ConnectionSettings
from lookervault.vault.store import Vault

pytestmark = pytest.mark.integration

_TYPES = ("dashboards", "users", "folders", "looks")


def test_the_drain_sends_the_extracts_requests_from_login_to_logout(tmp_path: Path) -> None:
    """Same count (the login included), every answer 200, login and logout in its span."""
    with MockServer(dataset("M/400")) as server:
        env = server.env()
        credentials = (env["LOOKERSDK_CLIENT_ID"], env["LOOKERSDK_CLIENT_SECRET"])
        urls = plan_requests(server.url, *credentials, types=_TYPES)
        settings = ConnectionSettings(
            base_url=server.url, client_id=credentials[0], client_secret=credentials[1]
        )
        with Vault(tmp_path / "v.db") as vault:
            options = ExtractOptions(content_types=_TYPES, workers=2)
            result = anyio.run(extract, settings, vault, options)
        server.reset_stats()
        drained = anyio.run(drain, server.url, credentials, urls, 8)
        served = server.stats()
    assert result.status == "complete"
    assert drained["requests"] == result.metrics["requests"] == len(urls) + 1
    assert drained["statuses"] == {"200": len(urls)}
    assert served["requests"] == len(urls) + 2  # and the login and the logout
    assert drained["elapsed_s"] > drained["fetch_s"] > 0
