"""What a user sees, and what the books say, in one line each: shared by the robustness tests."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import select

from core import inbox
from core.db import unit_of_work
from core.models import LedgerEntry
from playground.botapi import FakeUser
from tests.e2e.harness import BotWorld, is_avatar, text_of

JsonDict = dict[str, Any]

REFUNDED = "were refunded"
NOT_ENOUGH = "Not enough credits"
STILL_WORKING = "Still working on your earlier photos"
STORAGE_DOWN = "Storage is temporarily unavailable"


def avatars(user: FakeUser) -> list[JsonDict]:
    return [m for m in user.messages if is_avatar(m)]


def texts(user: FakeUser) -> list[str]:
    """The bot's messages in this chat as they read now (edits applied, deletions gone)."""
    return [text_of(m) for m in user.messages]


def saying(user: FakeUser, words: str) -> list[str]:
    return [text for text in texts(user) if words in text]


async def money(world: BotWorld, user_id: int) -> tuple[int, int]:
    """(balance, sum of the user's ledger): equal whenever the books are right."""
    return await world.balance(user_id), await world.ledger_sum(user_id)


async def ledger_keys(world: BotWorld, user_id: int) -> list[str]:
    async with unit_of_work(world.services.sessions) as session:
        query = (
            select(LedgerEntry.idempotency_key)
            .where(LedgerEntry.user_id == user_id)
            .order_by(LedgerEntry.id)
        )
        return list(await session.scalars(query))


async def statuses(world: BotWorld, user_id: int | None = None) -> list[str]:
    return [row.status for row in await world.generations(user_id)]


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 10.0) -> None:
    """Poll an async condition until it holds (the bot works in the background)."""
    async with asyncio.timeout(timeout):
        while not await check():
            await asyncio.sleep(0.05)


async def until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    """Poll a plain condition (a fake's counter, a process flag) until it holds."""
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.02)


async def inbox_statuses(world: BotWorld) -> dict[int, str]:
    """update_id → status in the durable inbox (pending, done, failed)."""
    async with unit_of_work(world.services.sessions) as session:
        return await inbox.statuses(session)
