"""Groups, supergroups and channels: the one thing the bot does there is answer once.

Accounts, credits and galleries belong to a person (docs/product.md, "Private chats only");
the bot only remembers which such chats it has pointed to the private chat, durably, so
several processes and restarts still answer each chat at most once (core/chat_notices.py).
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.chat_notices import claim_notice
from core.db import unit_of_work


class GroupChatService:
    def __init__(self, *, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def first_answer(self, chat_id: int) -> bool:
        """True exactly once per chat, ever: the caller answers then (claimed before sent)."""
        async with unit_of_work(self._sessions) as session:
            return await claim_notice(session, chat_id)
