"""Tests for lookervault.looker.priority: slots bound the requests in flight, leaves go last."""

from __future__ import annotations

import anyio
import httpx
import pytest
from anyio import wait_all_tasks_blocked

from lookervault.looker.client import LookerClient
from lookervault.looker.priority import PrioritySlots, as_leaves
from tests.looker.fake_looker import SpyLimiter, settings

pytestmark = pytest.mark.anyio


class _Gate(httpx.AsyncBaseTransport):
    """Answers login at once; holds every other request until opened, noting arrival order."""

    def __init__(self) -> None:
        self.arrived: list[str] = []
        self.in_flight = 0
        self.most = 0
        self.open = anyio.Event()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/login"):
            return httpx.Response(200, json={"access_token": "t", "expires_in": 3600})
        self.in_flight += 1
        self.most = max(self.most, self.in_flight)
        self.arrived.append(request.url.path.rsplit("/", 1)[-1])
        try:
            await self.open.wait()
            return httpx.Response(200, json={"id": 1})
        finally:
            self.in_flight -= 1


async def test_pages_overtake_queued_leaves_and_slots_bound_what_is_in_flight() -> None:
    """Counted at the server: never more than `concurrency` in flight, and queued leaves go last.

    Two leaves take the two slots; four more leaves, then two ordinary requests queue. The
    ordinary ones reach the server before any of the queued leaves, which then keep their order.
    """
    gate = _Gate()
    async with LookerClient(
        settings(), concurrency=2, limiter=SpyLimiter(), transport=gate
    ) as client:
        async with anyio.create_task_group() as tg:
            with as_leaves():
                for n in range(6):
                    tg.start_soon(client.get_json, f"/leaf{n}")
                    await wait_all_tasks_blocked()
            for n in range(2):
                tg.start_soon(client.get_json, f"/page{n}")
                await wait_all_tasks_blocked()
            assert gate.arrived == ["leaf0", "leaf1"]
            gate.open.set()
        assert gate.arrived == [
            "leaf0",
            "leaf1",
            "page0",
            "page1",
            "leaf2",
            "leaf3",
            "leaf4",
            "leaf5",
        ]
        assert gate.most == 2


async def test_a_cancelled_waiter_takes_no_slot_with_it() -> None:
    """Waiters cancelled while queued, or just as their slot came, leave every slot free."""
    slots = PrioritySlots(1)
    entered: list[str] = []
    release = anyio.Event()

    async def hold(name: str) -> None:
        async with slots:
            entered.append(name)
            await release.wait()

    async with anyio.create_task_group() as tg:
        tg.start_soon(hold, "first")
        await wait_all_tasks_blocked()
        with anyio.CancelScope() as doomed:
            async with anyio.create_task_group() as inner:
                inner.start_soon(hold, "cancelled")
                await wait_all_tasks_blocked()
                assert slots.waiting == (1, 0)
                doomed.cancel()
        tg.start_soon(hold, "last")
        await wait_all_tasks_blocked()
        release.set()
    assert entered == ["first", "last"]
    assert (slots.held, slots.waiting) == (0, (0, 0))


async def test_a_slot_handed_to_a_cancelled_waiter_goes_on_to_the_next() -> None:
    """A waiter cancelled in the same step its slot is handed over: no slot is lost."""
    slots = PrioritySlots(1)
    entered: list[str] = []
    first_release = anyio.Event()
    scope = anyio.CancelScope()

    async def first() -> None:
        async with slots:
            await first_release.wait()
        scope.cancel()  # the slot is already on its way to the second waiter

    async def second() -> None:
        with scope:
            async with slots:
                entered.append("second")

    async def third() -> None:
        async with slots:
            entered.append("third")

    async with anyio.create_task_group() as tg:
        for task in (first, second, third):
            tg.start_soon(task)
            await wait_all_tasks_blocked()
        first_release.set()
    assert entered[-1] == "third"  # "second" too on a backend that resumes it first
    assert (slots.held, slots.waiting) == (0, (0, 0))


def test_at_least_one_slot() -> None:
    """Zero slots would never let a request go."""
    with pytest.raises(ValueError, match="at least 1"):
        PrioritySlots(0)
