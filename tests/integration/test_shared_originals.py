"""🔁 Again reuses the stored original: one copy, shared, kept while any take still needs it."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.cleanup import find_orphans, remove_orphans
from core.db import unit_of_work
from core.models import Generation
from tests.integration.service_world import World, make_world

Sessions = async_sessionmaker[AsyncSession]


async def originals(world: World) -> list[str]:
    async with unit_of_work(world.sessions) as session:
        query = select(Generation.original_key).order_by(Generation.created_at)
        return list(await session.scalars(query))


async def two_takes(world: World) -> tuple[str, str]:
    await world.start_user()
    await world.pool.start()
    first = await world.submissions.submit_photo(world.photo(caption="red cape"))
    await world.delivery.wait_for(delivered=1)
    await world.settled()
    again = await world.submissions.submit_again(
        user_id=1, gen_id=first.generation_id, chat_id=1, source_message_id=1001
    )
    await world.delivery.wait_for(delivered=2)
    await world.settled()
    return first.generation_id, again.generation_id


async def test_another_take_points_at_the_same_original_without_a_new_intake(
    sessions: Sessions,
) -> None:
    async with make_world(sessions) as world:
        await two_takes(world)

        first, second = await originals(world)
        assert first == second
        assert sum(key.startswith("originals/") for key in world.blobs.blobs) == 1
        assert world.model.requests[0].images == world.model.requests[1].images
        assert "red cape" in world.model.requests[1].prompt
        assert await world.balance_and_sum() == (10, 10)


async def test_deleting_one_take_keeps_the_original_the_other_still_uses(
    sessions: Sessions,
) -> None:
    async with make_world(sessions) as world:
        first, second = await two_takes(world)
        (shared, _) = await originals(world)

        after = await world.gallery.delete(1, first)
        assert after is not None and after.avatar.generation_id == second
        assert shared in world.blobs.blobs

        assert await world.gallery.delete(1, second) is None
        assert not any(key.startswith("originals/") for key in world.blobs.blobs)


async def test_cleanup_of_a_stale_take_keeps_the_shared_original(sessions: Sessions) -> None:
    async with make_world(sessions) as world:
        first, _ = await two_takes(world)
        (shared, _) = await originals(world)
        async with unit_of_work(world.sessions) as session:  # the first take's avatar is lost
            await session.execute(
                update(Generation).where(Generation.id == first).values(result_key=None)
            )

        report = await find_orphans(world.sessions, world.blobs, min_age=timedelta(0))
        assert report.stale_rows == [first]
        await remove_orphans(world.sessions, world.blobs, report)

        assert await originals(world) == [shared]
        assert shared in world.blobs.blobs
