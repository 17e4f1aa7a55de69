"""Inviting friends: the user's code and what it has brought. (The bonus itself is paid by
the job runner, in the transaction that completes the friend's first avatar.)"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core import referrals
from core.db import unit_of_work
from core.referrals import InviteSummary


class ReferralService:
    def __init__(self, *, sessions: async_sessionmaker[AsyncSession], bonus: int) -> None:
        self._sessions = sessions
        self._bonus = bonus

    async def summary(self, user_id: int) -> InviteSummary:
        async with unit_of_work(self._sessions) as session:
            return await referrals.summary(session, user_id=user_id, bonus=self._bonus)
