"""A worker that lost its lease (a stalled process, a partition from the database) and wakes
up later must not act on a job that is no longer its own.

The heartbeat keeps a healthy worker's lease; these tests model the unhealthy one directly:
claim, let the lease run out, sweep, then let the old claim run to its end.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core import generations
from core.clock import utcnow
from core.db import unit_of_work
from core.errors import ImageModelRefused
from core.models import Generation
from tests.integration.service_world import World, make_world

Sessions = async_sessionmaker[AsyncSession]


async def claim(world: World) -> Generation:
    async with unit_of_work(world.sessions) as session:
        job = next(iter(await generations.claim_jobs(session, limit=1, lease_seconds=60)), None)
    assert job is not None
    return job


async def expire_leases(world: World) -> None:
    async with unit_of_work(world.sessions) as session:
        await session.execute(
            update(Generation).values(lease_until=utcnow() - timedelta(seconds=1))
        )


async def test_a_worker_that_lost_its_lease_does_not_deliver_a_refunded_generation(
    sessions: Sessions,
) -> None:
    async with make_world(sessions, workers=0, max_attempts=1) as world:
        await world.start_user()
        await world.submissions.submit_photo(world.photo())
        stalled = await claim(world)
        await expire_leases(world)
        await world.pool.sweep()  # attempts are spent: failed and refunded
        assert [f.refunded for f in world.delivery.failures] == [True]

        await world.runner.run(stalled)  # the stalled worker wakes up

        assert await world.statuses() == ["failed"]
        assert await world.balance_and_sum() == (30, 30)
        assert world.delivery.delivered == [], "the user got the avatar and the refund"


async def test_a_worker_that_lost_its_lease_does_not_send_a_second_avatar(
    sessions: Sessions,
) -> None:
    async with make_world(sessions, workers=0, max_attempts=3) as world:
        await world.start_user()
        await world.submissions.submit_photo(world.photo())
        stalled = await claim(world)
        await expire_leases(world)
        await world.pool.sweep()  # back in the queue
        await world.runner.run(await claim(world))  # another worker delivers it

        await world.runner.run(stalled)

        assert await world.statuses() == ["completed"]
        assert await world.balance_and_sum() == (20, 20)
        assert len(world.delivery.delivered) == 1, "the avatar was sent twice"


async def test_a_worker_that_lost_its_lease_cannot_fail_and_refund_the_new_holders_job(
    sessions: Sessions,
) -> None:
    async with make_world(sessions, workers=0, max_attempts=3) as world:
        await world.start_user()
        await world.submissions.submit_photo(world.photo())
        stalled = await claim(world)
        await expire_leases(world)
        await world.pool.sweep()  # back in the queue
        current = await claim(world)  # another worker holds it now
        world.model.script(ImageModelRefused("no image"))

        await world.runner.run(stalled)  # wakes up; its model call fails

        assert await world.statuses() == ["running"]
        assert await world.balance_and_sum() == (20, 20)
        await world.runner.run(current)
        assert await world.statuses() == ["completed"]
        assert await world.balance_and_sum() == (20, 20)
        assert len(world.delivery.delivered) == 1
        assert world.delivery.failures == [], "told 'refunded' while the avatar was delivered"
