"""Tests for lookervault.backup.budget: reservations wait for room, never when nothing is held."""

from __future__ import annotations

import anyio
import pytest

from lookervault.backup.budget import ByteBudget, PageMemory

pytestmark = pytest.mark.anyio


async def test_reservations_within_capacity_do_not_wait() -> None:
    """Several reservations that fit together are granted at once."""
    budget = ByteBudget(100)
    with anyio.fail_after(1):
        await budget.reserve(40)
        await budget.reserve(60)
    assert budget.used == 100


async def test_a_reservation_waits_until_enough_is_released() -> None:
    """Over capacity, a reservation waits for a release that makes room, not for any release."""
    budget = ByteBudget(100)
    await budget.reserve(70)
    await budget.reserve(20)
    granted = anyio.Event()

    async def reserve() -> None:
        await budget.reserve(50)
        granted.set()

    async with anyio.create_task_group() as tg:
        tg.start_soon(reserve)
        await anyio.wait_all_tasks_blocked()
        budget.release(20)  # 70 + 50 still does not fit
        await anyio.wait_all_tasks_blocked()
        assert not granted.is_set()
        budget.release(70)
        with anyio.fail_after(1):
            await granted.wait()
    assert budget.used == 50


async def test_a_page_bigger_than_the_budget_passes_when_nothing_is_held() -> None:
    """One oversized page never deadlocks: it goes through on an empty budget."""
    budget = ByteBudget(10)
    with anyio.fail_after(1):
        await budget.reserve(1_000)
    assert budget.used == 1_000


async def test_adjust_replaces_the_reservation_by_the_real_size() -> None:
    """The estimate is swapped for the real size, which may exceed the capacity."""
    budget = ByteBudget(100)
    await budget.reserve(10)
    budget.adjust(10, 150)
    assert budget.used == 150
    budget.release(150)
    assert budget.used == 0


def test_capacity_must_be_positive() -> None:
    """A zero budget is a programming error, said plainly."""
    with pytest.raises(ValueError, match="at least 1 byte"):
        ByteBudget(0)


async def test_a_page_reserves_the_size_of_its_types_last_page() -> None:
    """Once a page of a type reports its size, the next page of that type waits for that room."""
    memory = PageMemory(slots=4, budget_bytes=100)
    first = await memory.hold("dashboards")
    first.resize(80)
    second = await memory.hold("users")  # another type: nothing known, reserves nothing
    waiting = anyio.Event()
    granted = anyio.Event()

    async def third() -> None:
        waiting.set()
        slot = await memory.hold("dashboards")
        granted.set()
        slot.release()

    with anyio.fail_after(1):
        async with anyio.create_task_group() as tg:
            tg.start_soon(third)
            await waiting.wait()
            await anyio.sleep(0.01)
            assert not granted.is_set()
            first.release()
            await granted.wait()
    second.release()


async def test_page_slots_bound_the_pages_held_and_release_is_idempotent() -> None:
    """No more pages than slots are held; releasing a slot twice frees it once."""
    memory = PageMemory(slots=1, budget_bytes=100)
    slot = await memory.hold("looks")
    slot.release()
    slot.release()
    with anyio.fail_after(1):
        again = await memory.hold("looks")
    with anyio.move_on_after(0.05) as scope:
        await memory.hold("looks")
    assert scope.cancelled_caught
    again.release()
