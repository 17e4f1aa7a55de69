"""The "⏳" status message is recorded on the job after it is queued; whoever ends second, the
worker finishing the job or the handler recording the message, removes it (issue 12's honest
acknowledgement): never a "Creating…" left behind a delivered or failed avatar."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.errors import ImageModelRefused
from tests.integration.service_world import make_world

Sessions = async_sessionmaker[AsyncSession]
STATUS = 777


async def test_a_status_recorded_while_the_job_runs_is_removed_by_the_worker(
    sessions: Sessions,
) -> None:
    async with make_world(sessions) as world:
        await world.start_user()
        submitted = await world.submissions.submit_photo(world.photo())

        assert await world.submissions.attach_status(submitted.generation_id, STATUS)
        await world.pool.start()
        await world.delivery.wait_for(delivered=1)
        await world.settled()

        assert world.delivery.cleared == [(1, STATUS)]


async def test_a_status_recorded_after_the_avatar_arrived_is_left_to_its_sender(
    sessions: Sessions,
) -> None:
    async with make_world(sessions) as world:
        await world.start_user()
        await world.pool.start()
        submitted = await world.submissions.submit_photo(world.photo())
        await world.delivery.wait_for(delivered=1)
        await world.settled()

        assert not await world.submissions.attach_status(submitted.generation_id, STATUS)
        assert world.delivery.cleared == []


async def test_a_failure_edits_a_recorded_status_and_a_late_status_is_refused(
    sessions: Sessions,
) -> None:
    async with make_world(sessions) as world:
        await world.start_user()
        early = await world.submissions.submit_photo(world.photo(message_id=1))
        assert await world.submissions.attach_status(early.generation_id, STATUS)
        world.model.script(ImageModelRefused("no image"), ImageModelRefused("no image"))
        await world.pool.start()
        await world.delivery.wait_for(failed=1)
        late = await world.submissions.submit_photo(world.photo(message_id=2))
        await world.delivery.wait_for(failed=2)
        await world.settled()

        assert world.delivery.failures[0].status_message_id == STATUS  # edited into the news
        assert not await world.submissions.attach_status(late.generation_id, STATUS + 1)
