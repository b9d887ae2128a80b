"""Tests for lookervault.mock.limits: the token bucket's burst and the per-minute window."""

from __future__ import annotations

import pytest

from lookervault.mock.app import MockLooker
from lookervault.mock.limits import RateLimits, SlidingWindow, TokenBucket
from lookervault.mock.options import MockOptions
from tests.mock.test_app import FakeClock, assert_error, login, make_client


def admitted(limit: TokenBucket | SlidingWindow, n: int) -> int:
    return sum(limit.admit() for _ in range(n))


@pytest.mark.parametrize(("burst", "expected"), [(None, 10), (1, 1), (2.5, 2), (40, 40)])
def test_bucket_burst_then_rate(burst: float | None, expected: int) -> None:
    """A full bucket admits B at once (default: one second's worth), then R per second."""
    clock = FakeClock()
    bucket = TokenBucket(10, burst, clock)
    assert admitted(bucket, 100) == expected
    clock.now += 0.5
    assert admitted(bucket, 100) == min(5, int(burst or 10))
    assert bucket.wait() is None  # a bucket says nothing, as the mock always did


def test_sliding_window_admits_n_per_any_minute() -> None:
    """N admitted in a minute, none more until the oldest is 60 s old; Retry-After says when."""
    clock = FakeClock()
    window = SlidingWindow(5, clock)
    assert admitted(window, 3) == 3
    clock.now += 30
    assert admitted(window, 10) == 2
    assert window.wait() == pytest.approx(30)
    clock.now += 30
    assert admitted(window, 10) == 3  # the first three left the window
    assert admitted(window, 1) == 0


def test_no_knobs_no_limits() -> None:
    """Without rate knobs the mock has no limit at all (today's default)."""
    assert RateLimits.build(None, None, None, FakeClock()) is None


@pytest.mark.anyio
async def test_sliding_window_429_carries_retry_after() -> None:
    """The per-minute knob answers 429 with Retry-After until a slot frees."""
    clock = FakeClock()
    app = MockLooker(MockOptions(rate_limit_per_minute=2), clock=clock)
    async with make_client(app) as http:
        await login(http)
        statuses = [(await http.get("/user")).status_code for _ in range(2)]
        clock.now += 20
        limited = await http.get("/user")
        clock.now += 40
        recovered = await http.get("/user")
    assert statuses == [200, 200]
    assert_error(limited, 429)
    assert limited.headers["retry-after"] == "40"
    assert recovered.status_code == 200


@pytest.mark.anyio
async def test_bucket_burst_knob_in_the_app() -> None:
    """--rate-limit-burst sizes the bucket of --rate-limit-per-s."""
    clock = FakeClock()
    app = MockLooker(MockOptions(rate_limit_per_s=10, rate_limit_burst=2), clock=clock)
    async with make_client(app) as http:
        await login(http)
        statuses = [(await http.get("/user")).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
