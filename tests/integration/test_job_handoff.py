"""A photo that finds a worker free starts at once: its job is inserted already running in
this process, with no claim transaction between the charge and the model call. Queued work is
never overtaken, a refused or failed charge gives the worker back, and a process that dies
between the commit and the job's start leaves a lease the sweeper hands back.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.db import unit_of_work
from core.errors import InsufficientCredits
from core.models import Generation, User
from tests.integration.service_world import World, make_world

Sessions = async_sessionmaker[AsyncSession]


async def waiting_for_work(world: World) -> None:
    """Started, with the dispatcher's first (empty) claim behind it."""
    await world.pool.start()
    async with asyncio.timeout(5):
        while not world.pool.waiting_for_work:
            await asyncio.sleep(0.005)


async def job_row(world: World, gen_id: str) -> Generation:
    async with unit_of_work(world.sessions) as session:
        row = await session.get(Generation, gen_id)
        assert row is not None
        return row


def count_claims(sessions: Sessions) -> list[str]:
    """Every claim query run on this engine from now on (SELECT of queued generations)."""
    seen: list[str] = []

    def statement(_conn: Any, _cursor: Any, sql: str, *_: Any) -> None:
        if sql.startswith("SELECT generations.id") and "generations.status = " in sql:
            seen.append(sql)

    event.listen(sessions.kw["bind"].sync_engine, "before_cursor_execute", statement)
    return seen


async def test_a_photo_to_a_free_worker_runs_at_once_without_a_claim(sessions: Sessions) -> None:
    async with make_world(sessions, workers=2, poll_interval=3600) as world:
        await world.start_user()
        await waiting_for_work(world)
        claims = count_claims(sessions)
        world.model.block()

        submitted = await world.submissions.submit_photo(world.photo())
        # The moment the charge committed, the job was already running here: no queued row
        # waited for the dispatcher to wake and claim it.
        row = await job_row(world, submitted.generation_id)
        assert (row.status, row.attempts) == ("running", 1)
        assert row.lease_until is not None
        await world.model.wait_in_flight(1)
        world.model.release()
        await world.delivery.wait_for(delivered=1)

        assert await world.settled() == ["completed"]
        assert claims == []
        assert await world.balance_and_sum() == (20, 20)


async def test_with_every_worker_busy_the_photo_is_queued_and_claimed_in_turn(
    sessions: Sessions,
) -> None:
    async with make_world(sessions, workers=1, poll_interval=3600) as world:
        for user_id in (1, 2, 3):
            await world.start_user(user_id)
        await waiting_for_work(world)
        world.model.block()
        first = await world.submissions.submit_photo(world.photo(1))
        second = await world.submissions.submit_photo(world.photo(2))
        third = await world.submissions.submit_photo(world.photo(3))

        assert (await job_row(world, first.generation_id)).status == "running"
        assert (await job_row(world, second.generation_id)).status == "queued"
        assert (await job_row(world, third.generation_id)).status == "queued"
        world.model.release()
        await world.delivery.wait_for(delivered=3)

        order = [d.generation_id for d in world.delivery.delivered]
        assert order == [first.generation_id, second.generation_id, third.generation_id]
        assert await world.settled() == ["completed"] * 3


async def test_a_refused_charge_gives_its_worker_back(sessions: Sessions) -> None:
    async with make_world(sessions, workers=1, poll_interval=3600) as world:
        for user_id in (1, 2):
            await world.start_user(user_id)
        async with unit_of_work(sessions) as session:  # user 1 spent everything elsewhere
            broke = await session.get(User, 1)
            assert broke is not None
            broke.credits = 0
        await waiting_for_work(world)

        with pytest.raises(InsufficientCredits):
            await world.submissions.submit_photo(world.photo(1))
        # The only worker was taken for that photo; had it not come back, this photo would
        # be handed nothing and wait in the queue for good.
        await world.submissions.submit_photo(world.photo(2))
        await world.delivery.wait_for(delivered=1)

        assert await world.settled() == ["completed"]
        assert await world.balance_and_sum(2) == (20, 20)


async def test_a_process_dying_between_the_commit_and_the_start_leaves_a_lease_that_is_swept(
    sessions: Sessions, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two workers: the "dead" hand-off keeps the slot it took; the other plays the restart.
    async with make_world(sessions, workers=2, poll_interval=0.05, lease_seconds=0.3) as world:
        await world.start_user()
        await waiting_for_work(world)
        started: list[str] = []
        # The process "dies" right after the commit: the job's task never starts.
        monkeypatch.setattr(world.pool, "_start_handed", lambda job: started.append(job.id))
        submitted = await world.submissions.submit_photo(world.photo())
        monkeypatch.undo()
        assert started == [submitted.generation_id]
        assert (await job_row(world, submitted.generation_id)).status == "running"

        await asyncio.sleep(0.4)  # the lease runs out
        await world.pool.sweep()
        await world.delivery.wait_for(delivered=1)
        assert await world.settled() == ["completed"]

        row = await job_row(world, submitted.generation_id)
        assert (row.status, row.attempts) == ("completed", 2)
        assert len(world.delivery.delivered) == 1
        assert await world.balance_and_sum() == (20, 20)


async def test_a_stopped_pool_hands_nothing_over(sessions: Sessions) -> None:
    async with make_world(sessions, workers=1, poll_interval=3600) as world:
        await world.start_user()
        await waiting_for_work(world)
        await world.pool.stop(grace=1)

        submitted = await world.submissions.submit_photo(world.photo())

        assert (await job_row(world, submitted.generation_id)).status == "queued"
        async with unit_of_work(sessions) as session:
            queued = await session.scalars(select(Generation.status))
            assert list(queued) == ["queued"]
