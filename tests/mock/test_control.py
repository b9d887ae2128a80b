"""The /__mock__ control endpoints: ground truth, stats and their reset, in process."""

from __future__ import annotations

import httpx
import pytest

from lookervault.mock.app import MockLooker
from lookervault.mock.data import canonical_hash
from lookervault.mock.routes import API_PREFIX
from tests.mock.test_app import SHARED_OPTIONS


@pytest.mark.anyio
async def test_control_endpoints() -> None:
    """ground_truth (full and hashes), stats and reset_stats need no auth."""
    shared_app = MockLooker(SHARED_OPTIONS)
    transport = httpx.ASGITransport(app=shared_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://mock") as http:
        truth = (await http.get("/__mock__/ground_truth")).json()
        hashes = (await http.get("/__mock__/ground_truth", params={"hashes": "1"})).json()
        await http.get(API_PREFIX + "/user")
        stats = (await http.get("/__mock__/stats")).json()
        assert (await http.post("/__mock__/reset_stats")).status_code == 204
        reset = (await http.get("/__mock__/stats")).json()
    assert set(truth) == set(hashes) and "content_metadata_access" in truth
    some_id, some_board = next(iter(truth["boards"].items()))
    assert hashes["boards"][some_id] == canonical_hash(some_board)
    assert stats["requests"] >= 1 and stats["by_status"]["401"] >= 1
    assert reset["requests"] == 0 and reset["by_status"] == {}
