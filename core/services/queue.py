"""The queue as users see it: each waiting job's place, for the "In line" status."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.db import unit_of_work
from core.queue_order import PlaceInLine, waiting_in_line


class QueueService:
    def __init__(self, *, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def places(self) -> list[PlaceInLine]:
        """Every active job, running first (place 0), then in the order workers claim them."""
        async with unit_of_work(self._sessions) as session:
            return await waiting_in_line(session)
