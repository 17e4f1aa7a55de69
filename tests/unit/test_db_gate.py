"""The database gate: when every connection is taken, storing fetched updates gets the next
one first, then jobs."""

from __future__ import annotations

import asyncio
import contextvars

import pytest

from core.db import PoolTimeout
from core.db_gate import DatabaseGate, jobs_first, receiving, work_started


async def _take(gate: DatabaseGate, name: str, order: list[str], hold: asyncio.Event) -> None:
    async with gate.held():
        order.append(name)
        await hold.wait()


def _as_job(coro: object) -> asyncio.Task[None]:
    context = contextvars.copy_context()
    context.run(jobs_first)
    return asyncio.get_running_loop().create_task(coro, context=context)  # type: ignore[arg-type]


async def test_a_job_waiting_for_the_connection_goes_before_updates_that_came_earlier() -> None:
    gate, order, release = DatabaseGate(1, timeout=10), [], asyncio.Event()
    holder = asyncio.create_task(_take(gate, "holder", order, release))
    await asyncio.sleep(0)
    updates = [asyncio.create_task(_take(gate, f"update{n}", order, release)) for n in (1, 2)]
    await asyncio.sleep(0)
    job = _as_job(_take(gate, "job", order, release))
    await asyncio.sleep(0)
    release.set()
    await asyncio.gather(holder, *updates, job)
    assert order == ["holder", "job", "update1", "update2"]


async def test_a_waiter_cancelled_while_its_turn_came_passes_the_connection_on() -> None:
    gate, order, release = DatabaseGate(1, timeout=10), [], asyncio.Event()
    holder = asyncio.create_task(_take(gate, "holder", order, release))
    await asyncio.sleep(0)
    cancelled = asyncio.create_task(_take(gate, "cancelled", order, asyncio.Event()))
    after = asyncio.create_task(_take(gate, "after", order, release))
    await asyncio.sleep(0)
    release.set()
    await asyncio.sleep(0)  # the holder leaves: the turn is handed to "cancelled" ...
    cancelled.cancel()  # ... which is cancelled before it could run
    await asyncio.gather(holder, after)
    assert order == ["holder", "after"]
    assert cancelled.cancelled()


async def test_the_gate_never_lets_more_than_its_capacity_in() -> None:
    gate, inside, most = DatabaseGate(3, timeout=10), [0], [0]

    async def one() -> None:
        async with gate.held():
            inside[0] += 1
            most[0] = max(most[0], inside[0])
            await asyncio.sleep(0.001)
            inside[0] -= 1

    await asyncio.gather(*(one() for _ in range(20)), *(_as_job(one()) for _ in range(5)))
    assert most[0] == 3 and inside[0] == 0


async def test_a_wait_longer_than_the_pool_timeout_fails_as_a_pool_timeout_and_loses_no_slot() -> (
    None
):
    waits: list[None] = []
    gate, order, release = (
        DatabaseGate(1, timeout=0.05, on_wait=lambda: waits.append(None)),
        [],
        asyncio.Event(),
    )
    holder = asyncio.create_task(_take(gate, "holder", order, release))
    await asyncio.sleep(0)
    with pytest.raises(PoolTimeout):
        await _take(gate, "late", order, release)
    release.set()
    await holder
    await _take(gate, "next", order, release)
    assert order == ["holder", "next"] and len(waits) == 1


async def test_storing_received_updates_goes_before_jobs_and_the_tasks_it_starts_do_not() -> None:
    gate, order, release = DatabaseGate(1, timeout=10), [], asyncio.Event()
    holder = asyncio.create_task(_take(gate, "holder", order, release))
    await asyncio.sleep(0)
    update = asyncio.create_task(_take(gate, "update", order, release))
    job = _as_job(_take(gate, "job", order, release))
    with receiving():
        store = asyncio.create_task(_take(gate, "store", order, release))
    started_after = asyncio.create_task(_take(gate, "dispatched update", order, release))
    await asyncio.sleep(0)
    release.set()
    await asyncio.gather(holder, update, job, store, started_after)
    assert order == ["holder", "store", "job", "update", "dispatched update"]


async def test_an_update_further_along_goes_before_the_first_steps_of_updates_started_after_it() -> (
    None
):
    gate, order, release, downloaded = (
        DatabaseGate(1, timeout=10),
        [],
        asyncio.Event(),
        asyncio.Event(),
    )

    async def update(name: str, *, steps: int) -> None:
        work_started()
        for step in range(1, steps + 1):
            if step > 1:
                await downloaded.wait()  # between its steps the update waits on the network
            async with gate.held():
                order.append(f"{name}.{step}")

    first = asyncio.create_task(update("first", steps=2))
    await asyncio.sleep(0)  # its first step done, "first" downloads the photo
    holder = asyncio.create_task(_take(gate, "holder", order, release))
    await asyncio.sleep(0)
    later = [asyncio.create_task(update(name, steps=1)) for name in ("second", "third")]
    await asyncio.sleep(0)  # both wait for the connection before "first" asks again
    downloaded.set()
    await asyncio.sleep(0)
    untagged = asyncio.create_task(_take(gate, "periodic", order, release))
    await asyncio.sleep(0)
    release.set()
    await asyncio.gather(first, holder, *later, untagged)
    assert order == ["first.1", "holder", "first.2", "second.1", "third.1", "periodic"]
