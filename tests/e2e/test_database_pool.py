"""A process with one PostgreSQL connection still queues every photo exactly once."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest
from sqlalchemy import func, select

from core.db import create_engine, create_session_factory, unit_of_work
from core.models import Generation, LedgerEntry, User
from playground.botapi.users import FakeUser
from tests.db_fixtures import truncate
from tests.e2e.harness import bot_world, is_avatar, text_of
from tests.fakes import images

USERS = (1, 2, 3, 4, 5)


async def rows(database_url: str) -> tuple[list[Generation], dict[int, int], dict[int, int]]:
    """Generations, balances and ledger sums, read on an engine of the test's own."""
    engine = create_engine(database_url)
    try:
        async with unit_of_work(create_session_factory(engine)) as session:
            generations = list(await session.scalars(select(Generation)))
            balances = dict((await session.execute(select(User.id, User.credits))).all())
            sums = (
                await session.execute(
                    select(LedgerEntry.user_id, func.sum(LedgerEntry.delta)).group_by(
                        LedgerEntry.user_id
                    )
                )
            ).all()
            return generations, balances, {user: int(total) for user, total in sums}
    finally:
        await engine.dispose()


async def test_one_pooled_connection_queues_every_concurrent_photo_exactly_once(
    postgres_database: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    await truncate(postgres_database)
    caplog.set_level(logging.WARNING, logger="core.db")
    async with bot_world(
        postgres_database, tmp_path, db_pool_size=1, db_max_overflow=0, workers=4
    ) as world:
        users = [await world.started_user(n) for n in USERS]
        world.model.latency = 0.3
        await asyncio.gather(*(user.send_photo(images.jpeg()) for user in users for _ in range(2)))
        for user in users:
            await user.wait_for(
                lambda m, u=user: sum(1 for x in u.messages if is_avatar(x)) == 2, timeout=60
            )
        await world.settled(timeout=30)

    generations, balances, sums = await rows(postgres_database)
    assert len(generations) == 2 * len(USERS)
    assert len({(g.chat_id, g.source_message_id) for g in generations}) == 2 * len(USERS)
    assert {g.status for g in generations} == {"completed"}
    assert balances == sums == dict.fromkeys(USERS, 10)
    assert any("database pool exhausted: all 1 connections" in r.message for r in caplog.records)


async def test_a_pool_that_times_out_loses_no_photo_and_charges_none_twice(
    postgres_database: str, tmp_path: Path
) -> None:
    await truncate(postgres_database)
    async with bot_world(
        postgres_database,
        tmp_path,
        db_pool_size=1,
        db_max_overflow=0,
        db_pool_timeout=0.05,
        workers=4,
        job_lease_seconds=2.0,
    ) as world:
        users = [world.user(n) for n in USERS]
        for user in users:
            await user.send_text("/start")
            await user.wait_for(
                lambda m: "Welcome" in text_of(m) or "try again" in text_of(m), timeout=30
            )
        await asyncio.gather(*(user.send_photo(images.jpeg()) for user in users))

        def answered(user: FakeUser) -> bool:
            texts = [text_of(m) for m in user.messages]
            return any(is_avatar(m) for m in user.messages) or any(
                "try again" in t.lower() for t in texts[1:]
            )

        async with asyncio.timeout(60):
            while not all(answered(u) for u in users):
                await asyncio.sleep(0.1)
        async with asyncio.timeout(60):
            while any(
                g.status in ("queued", "running") for g in (await rows(postgres_database))[0]
            ):
                await asyncio.sleep(0.2)

    generations, balances, sums = await rows(postgres_database)
    assert len({(g.chat_id, g.source_message_id) for g in generations}) == len(generations)
    assert {g.status for g in generations} <= {"completed"}  # none failed for a busy pool
    assert balances == {u: sums.get(u, 0) for u in balances}
    for user in users:
        made = sum(1 for m in user.messages if is_avatar(m))
        assert made == sum(1 for g in generations if g.user_id == user.id)
