"""Every waiting job's place in line, in one query, in exactly the order workers claim them."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core import generations
from core.db import unit_of_work
from core.queue_order import waiting_in_line
from tests.integration.service_world import make_world

Sessions = async_sessionmaker[AsyncSession]


async def places(sessions: Sessions) -> list[tuple[str, int]]:
    async with unit_of_work(sessions) as session:
        return [(p.generation_id, p.place) for p in await waiting_in_line(session) if p.place]


async def test_places_follow_the_fair_claim_order_and_move_up_as_jobs_are_claimed(
    sessions: Sessions,
) -> None:
    async with make_world(sessions, workers=0) as world:
        a1, a2, a3, b1, c1 = await world.queue_three_users()

        assert await places(sessions) == [(a1, 1), (b1, 2), (c1, 3), (a2, 4), (a3, 5)]

        async with unit_of_work(sessions) as session:
            claimed = next(
                iter(await generations.claim_jobs(session, limit=1, lease_seconds=30)), None
            )
        assert claimed is not None and claimed.id == a1
        assert await places(sessions) == [(b1, 1), (c1, 2), (a2, 3), (a3, 4)]
        async with unit_of_work(sessions) as session:
            everyone = await waiting_in_line(session)
        assert (everyone[0].generation_id, everyone[0].place) == (a1, 0)  # running: no place


async def test_an_empty_queue_has_no_places(sessions: Sessions) -> None:
    assert await places(sessions) == []
