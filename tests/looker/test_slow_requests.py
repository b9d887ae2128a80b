"""Per-request timeouts (explores wait longer) and how a too-slow answer is told from others."""

from __future__ import annotations

import httpx
import pytest

from lookervault.errors import ApiError
from lookervault.looker.client import LookerClient
from lookervault.looker.deadline import SPLITTABLE, is_slow, request_timeout, timeout_kwargs
from lookervault.looker.payload import split_document
from lookervault.looker.retry import RetryableError
from lookervault.mock.app import MockLooker, MockOptions
from lookervault.mock.server import serve_in_thread
from lookervault.settings import ConnectionSettings

_EXPLORE = "/lookml_models/ecommerce/explores/orders"


def test_timeout_applies_inside_the_block_only() -> None:
    """Inside `request_timeout(s)` requests carry that timeout; outside, the connection's."""
    assert timeout_kwargs() == {}
    with request_timeout(7.5):
        assert timeout_kwargs() == {"timeout": httpx.Timeout(7.5)}
        with request_timeout(None):
            assert timeout_kwargs() == {}
    assert timeout_kwargs() == {}


def test_slow_means_504_or_a_timeout_and_nothing_else() -> None:
    """504 and read timeouts are slow; 503, connect timeouts and connection resets are not."""
    timed_out = ApiError("GET", "u", None, "timed out")
    timed_out.__cause__ = httpx.ReadTimeout("read timed out")
    reset = ApiError("GET", "u", None, "reset")
    reset.__cause__ = httpx.ReadError("reset")
    assert is_slow(ApiError("GET", "u", 504, "Gateway Timeout")) and is_slow(timed_out)
    connect = ApiError("GET", "u", None, "connect timed out")
    connect.__cause__ = httpx.ConnectTimeout("connect timed out")
    assert not any(is_slow(e) for e in (ApiError("GET", "u", 503, "x"), reset, connect))
    assert SPLITTABLE.retry_delay(httpx.ConnectTimeout("connect"))
    assert not SPLITTABLE.retry_delay(RetryableError(504, "Gateway Timeout"))
    assert not SPLITTABLE.retry_delay(httpx.ReadTimeout("slow"))
    assert SPLITTABLE.retry_delay(RetryableError(503, "Service Unavailable"))
    assert SPLITTABLE.retry_delay(httpx.ReadError("reset"))


@pytest.mark.integration
@pytest.mark.anyio
async def test_a_request_timeout_overrides_the_connections() -> None:
    """A 0.3 s answer passes under the connection's 5 s timeout, fails as slow under 0.05 s."""
    options = MockOptions(preset="tiny", latency_ms=300.0)
    with serve_in_thread(MockLooker(options)) as url:
        settings = ConnectionSettings(
            base_url=url,
            client_id=options.client_id,
            client_secret=options.client_secret,
            timeout=5.0,
        )
        async with LookerClient(settings) as client:
            explore = await client.get_decoded(_EXPLORE, decode=split_document)
            with request_timeout(0.05), pytest.raises(ApiError) as raised:
                await client.get_decoded(_EXPLORE, decode=split_document, retry=SPLITTABLE)
    assert b'"orders"' in explore
    assert is_slow(raised.value)
