"""Claims are fair: one user's queue never holds everyone else back."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core import claims, generations
from core.db import unit_of_work
from core.models import Generation
from tests.integration.service_world import make_world

Sessions = async_sessionmaker[AsyncSession]


async def claim(sessions: Sessions) -> Generation:
    async with unit_of_work(sessions) as session:
        job = next(iter(await generations.claim_jobs(session, limit=1, lease_seconds=30)), None)
    assert job is not None
    return job


async def finish(sessions: Sessions, job: Generation) -> None:
    async with unit_of_work(sessions) as session:
        await claims.complete(
            session, gen_id=job.id, attempt=job.attempts, file_id="f", result_message_id=1
        )


async def test_a_users_third_photo_waits_behind_other_users_first(sessions: Sessions) -> None:
    async with make_world(sessions, workers=0) as world:
        a1, a2, a3, b1, c1 = await world.queue_three_users()

        order = []
        first, second = await claim(sessions), await claim(sessions)  # two workers
        order += [first.id, second.id]
        await finish(sessions, first)
        order.append((third := await claim(sessions)).id)
        await finish(sessions, second)
        order.append((fourth := await claim(sessions)).id)
        await finish(sessions, third)
        await finish(sessions, fourth)
        order.append((await claim(sessions)).id)

        assert order == [a1, b1, c1, a2, a3]


async def test_a_batch_claim_takes_the_same_fair_order_in_one_transaction(
    sessions: Sessions,
) -> None:
    async with make_world(sessions, workers=0) as world:
        a1, a2, a3, b1, c1 = await world.queue_three_users()

        async with unit_of_work(sessions) as session:
            batch = await generations.claim_jobs(session, limit=4, lease_seconds=30)
        async with unit_of_work(sessions) as session:
            rest = await generations.claim_jobs(session, limit=4, lease_seconds=30)

        assert [job.id for job in batch] == [a1, b1, c1, a2]
        assert [job.id for job in rest] == [a3]
        assert {(job.status, job.attempts) for job in [*batch, *rest]} == {("running", 1)}
