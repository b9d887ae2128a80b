"""Tests for lookervault.looker.request_counter: requests per content type and the budget."""

from __future__ import annotations

import anyio
import anyio.lowlevel
import pytest

from lookervault.errors import ExitCode, RequestBudgetError
from lookervault.looker.request_counter import SESSION, RequestCounter, counted_as
from lookervault.metrics import Metrics, requests_by_type
from tests.looker.fake_looker import FakeLooker


def test_requests_count_for_the_type_whose_block_sent_them() -> None:
    """Outside any type's block a request is the session's; inside, the type's."""
    metrics = Metrics()
    counter = RequestCounter(metrics)
    counter.count()
    with counted_as("dashboards"):
        counter.count()
        counter.count()
    assert metrics.get("requests") == 3
    assert requests_by_type(metrics.snapshot()) == {"dashboards": 2, SESSION: 1}


@pytest.mark.anyio
async def test_tasks_started_in_a_block_count_for_its_type() -> None:
    """A type's page workers (tasks it starts) count for the type, concurrently with another."""
    metrics = Metrics()
    counter = RequestCounter(metrics)

    async def job(name: str, n: int) -> None:
        with counted_as(name):
            async with anyio.create_task_group() as tg:
                for _ in range(n):
                    tg.start_soon(_count_later, counter)

    async with anyio.create_task_group() as tg:
        tg.start_soon(job, "looks", 5)
        tg.start_soon(job, "users", 3)
    assert requests_by_type(metrics.snapshot()) == {"looks": 5, "users": 3}


async def _count_later(counter: RequestCounter) -> None:
    await anyio.lowlevel.checkpoint()
    counter.count()


def test_budget_refuses_the_request_past_it() -> None:
    """With a budget of 2, the third request is refused and not counted; exit status 4."""
    metrics = Metrics()
    counter = RequestCounter(metrics, max_requests=2)
    counter.count()
    assert counter.may_send()
    counter.count()
    assert not counter.may_send()
    with pytest.raises(RequestBudgetError, match="budget of 2 requests") as caught:
        counter.count()
    assert caught.value.exit_code == ExitCode.PARTIAL
    assert metrics.get("requests") == counter.sent == 2


@pytest.mark.anyio
async def test_client_sends_no_request_past_the_budget(make_client, looker: FakeLooker) -> None:
    """Login and two GETs fit a budget of 3; the fourth is refused and logout is not sent."""
    async with make_client(max_requests=3) as client:
        await client.get_json("/a")
        await client.get_json("/b")
        with pytest.raises(RequestBudgetError):
            await client.get_json("/c")
    assert [r.url.path for r in looker.requests] == ["/api/4.0/login", "/api/4.0/a", "/api/4.0/b"]


@pytest.mark.anyio
async def test_client_logs_out_while_the_budget_allows(make_client, looker: FakeLooker) -> None:
    """Below the budget the client still logs out, and logout is not a counted request."""
    async with make_client(max_requests=3) as client:
        await client.get_json("/a")
    assert [r.url.path for r in looker.requests][-1] == "/api/4.0/logout"
    assert client.metrics.get("requests") == 2
