"""A group or channel is answered once, however many processes race for it (both databases)."""

from __future__ import annotations

import asyncio

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.chat_notices import claim_notice
from core.db import unit_of_work

Sessions = async_sessionmaker[AsyncSession]


async def claim(sessions: Sessions, chat_id: int) -> bool:
    async with unit_of_work(sessions) as session:
        return await claim_notice(session, chat_id)


async def test_only_the_first_claim_of_a_chat_answers(sessions: Sessions) -> None:
    assert await claim(sessions, -100123) is True
    assert await claim(sessions, -100123) is False
    assert await claim(sessions, -42) is True


async def test_concurrent_claims_of_one_chat_answer_once(sessions: Sessions) -> None:
    results = await asyncio.gather(*(claim(sessions, -555) for _ in range(10)))

    assert results.count(True) == 1


async def test_a_claim_rolled_back_leaves_the_chat_unanswered(sessions: Sessions) -> None:
    try:
        async with unit_of_work(sessions) as session:
            await claim_notice(session, -7)
            raise RuntimeError("the process dies before the commit")
    except RuntimeError:
        pass
    assert await claim(sessions, -7) is True
