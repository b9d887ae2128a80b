"""Fixtures of the client tests: a fake Looker, a hand-moved clock, a spy limiter, a factory."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from lookervault.looker.client import LookerClient
from lookervault.metrics import Metrics
from tests.looker.fake_looker import FakeClock, FakeLooker, SpyLimiter, settings


@pytest.fixture
def looker() -> FakeLooker:
    """A fresh fake Looker per test."""
    return FakeLooker()


@pytest.fixture
def clock() -> FakeClock:
    """A clock the test moves by hand."""
    return FakeClock()


@pytest.fixture
def limiter() -> SpyLimiter:
    """A limiter that records calls and never waits."""
    return SpyLimiter()


@pytest.fixture
def metrics() -> Metrics:
    """Fresh counters per test."""
    return Metrics()


@pytest.fixture
def make_client(
    looker: FakeLooker, clock: FakeClock, limiter: SpyLimiter, metrics: Metrics
) -> Callable[..., LookerClient]:
    """Build a LookerClient wired to the fake Looker."""

    def make(**kwargs: object) -> LookerClient:
        options: dict[str, object] = {
            "limiter": limiter,
            "metrics": metrics,
            "transport": httpx.MockTransport(looker),
            "clock": clock,
        }
        options.update(kwargs)
        return LookerClient(settings(), **options)  # type: ignore[arg-type]

    return make
