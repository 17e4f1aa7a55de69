"""The durable inbox on both databases: an update_id is stored once, a lease keeps two
receivers off one update, a dead receiver's updates move on, and two live receivers (each
with its own engine, as two processes would have) process every stored update exactly once.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Update
from telegram.ext import Application, ApplicationBuilder, ContextTypes, TypeHandler

from bot.update_inbox import UpdateInbox
from core import inbox
from core.clock import utcnow
from core.db import create_engine, create_session_factory, unit_of_work
from core.telegram_tables import TelegramUpdate
from playground.botapi import BotApiEmulator

Sessions = async_sessionmaker[AsyncSession]


def text_update(update_id: int, chat_id: int = 7) -> dict[str, Any]:
    chat = {"id": chat_id, "type": "private", "first_name": "Ada"}
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 1_700_000_000,
            "chat": chat,
            "from": {"id": chat_id, "is_bot": False, "first_name": "Ada"},
            "text": f"hello {update_id}",
        },
    }


async def test_a_redelivered_update_id_is_stored_once_and_handed_out_once(
    sessions: Sessions,
) -> None:
    async with unit_of_work(sessions) as session:
        first = await inbox.store(
            session, [text_update(1), text_update(2)], owner="a", lease_seconds=30
        )
    async with unit_of_work(sessions) as session:
        again = await inbox.store(
            session, [text_update(2), text_update(3)], owner="b", lease_seconds=30
        )
    async with unit_of_work(sessions) as session:
        claimed, given_up = await inbox.claim(
            session, owner="c", lease_seconds=30, limit=10, max_attempts=5
        )
        rows = await inbox.statuses(session)

    assert [u.update_id for u in first] == [1, 2]
    assert [u.update_id for u in again] == [3]  # 2 was there: nobody else processes it
    assert first[0].payload == text_update(1) and first[0].chat_id == 7
    assert (claimed, given_up) == ([], [])  # all three are leased to their receivers
    assert rows == {1: "pending", 2: "pending", 3: "pending"}


async def test_a_dead_receivers_updates_are_claimed_after_its_lease_and_given_up_at_last(
    sessions: Sessions,
) -> None:
    async with unit_of_work(sessions) as session:
        await inbox.store(session, [text_update(1), text_update(2)], owner="dead", lease_seconds=30)
        await session.execute(  # its lease ran out
            update(TelegramUpdate).values(lease_until=utcnow() - timedelta(seconds=1))
        )
        await session.execute(
            update(TelegramUpdate).where(TelegramUpdate.update_id == 2).values(attempts=3)
        )
    async with unit_of_work(sessions) as session:
        claimed, given_up = await inbox.claim(
            session, owner="alive", lease_seconds=30, limit=10, max_attempts=3
        )
    async with unit_of_work(sessions) as session:
        twice, _ = await inbox.claim(
            session, owner="other", lease_seconds=30, limit=10, max_attempts=3
        )
        await inbox.finish(session, [1])
        rows = await inbox.statuses(session)

    assert [(u.update_id, u.attempts) for u in claimed] == [(1, 2)]
    assert given_up == [2]  # kept failing (or killing its receiver): logged and left
    assert twice == []
    assert rows == {1: "done", 2: "failed"}


async def test_finished_updates_are_pruned_after_the_retention_and_pending_ones_never(
    sessions: Sessions,
) -> None:
    async with unit_of_work(sessions) as session:
        await inbox.store(session, [text_update(n) for n in (1, 2, 3)], owner="a", lease_seconds=30)
        await inbox.finish(session, [1, 2])
        await session.execute(
            update(TelegramUpdate)
            .where(TelegramUpdate.update_id == 1)
            .values(finished_at=utcnow() - timedelta(days=8))
        )
    async with unit_of_work(sessions) as session:
        pruned = await inbox.prune(session, finished_before=utcnow() - timedelta(days=7))
        rows = await inbox.statuses(session)

    assert pruned == 1
    assert rows == {2: "done", 3: "pending"}


@asynccontextmanager
async def receiver(
    emu: BotApiEmulator, database_url: str, seen: Counter[int]
) -> AsyncIterator[UpdateInbox]:
    """A receiver as a process has it: its own engine and Application, one handler."""

    async def handle(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        seen[update.update_id] += 1
        await asyncio.sleep(0.005)  # a handler waits on I/O

    app: Application[Any, Any, Any, Any, Any, Any] = (
        ApplicationBuilder()
        .token(emu.token)
        .base_url(emu.api_base_url)
        .updater(None)
        .concurrent_updates(32)
        .build()
    )
    app.add_handler(TypeHandler(Update, handle))
    engine = create_engine(database_url)
    box = UpdateInbox(
        app,  # type: ignore[arg-type]
        create_session_factory(engine),
        lease_seconds=3.0,
        max_attempts=5,
        retention_days=7,
    )
    async with app:
        await box.start()
        try:
            yield box
        finally:
            await box.stop(grace=5)
            await engine.dispose()


async def test_two_receivers_process_each_stored_update_exactly_once(
    database_url: str, sessions: Sessions
) -> None:
    total = 300
    async with unit_of_work(sessions) as session:  # left behind by a receiver that died
        await inbox.store(
            session,
            [text_update(n, chat_id=n % 13) for n in range(1, total + 1)],
            owner="dead",
            lease_seconds=0.01,
        )
    seen_one: Counter[int] = Counter()
    seen_two: Counter[int] = Counter()
    async with (
        BotApiEmulator() as emu,
        receiver(emu, database_url, seen_one) as one,
        receiver(emu, database_url, seen_two) as two,
    ):
        # Both claim at once (start-up and every heartbeat) and both store new ones, with an
        # overlap of 25 update_ids that Telegram (say, after a restart) delivered to each.
        await asyncio.gather(
            one.accept([text_update(n) for n in range(total + 1, total + 51)]),
            two.accept([text_update(n) for n in range(total + 26, total + 76)]),
        )
        async with asyncio.timeout(60):
            while True:
                async with unit_of_work(sessions) as session:
                    rows = await inbox.statuses(session)
                if set(rows.values()) == {"done"}:
                    break
                await asyncio.sleep(0.1)

    seen = seen_one + seen_two
    assert len(rows) == total + 75
    assert set(seen) == set(rows)
    assert max(seen.values()) == 1, [u for u, n in seen.items() if n > 1]
    assert seen_one and seen_two  # both took a share
