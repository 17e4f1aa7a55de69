"""How much database work a photo and a gallery page turn cost, counted through the real bot.

The bot runs against the Bot API emulator; the counts come from SQLAlchemy's events on the
bot's own engine (see db_counter.py), on SQLite and PostgreSQL. The durable update inbox's
own transactions (storing fetched updates, marking them done, each in batches) are counted
apart: they are the price of not losing an update, the same for every kind of update.

A photo, from its update to its queued job and the recorded "⏳" message. Before the feature
services (measured on SQLite with these counters): 5 transactions and 11 statements for a user
who had sent /start (language, known photo?, balance and active count, the same again inside
`submit_photo`, the charge), 7 and 16 for a photo before /start (the check failing, register,
check again). Then 4 either way: the account (the per-update step, registering if needed), the
per-user rules (`admission`), the charge-and-queue, and recording the status message on the job.
Now 3: the per-user rules are read in the account's transaction. A photo from someone the bot
has not met takes a fourth: the account is read first as a single statement (on PostgreSQL
without BEGIN and COMMIT, two round trips fewer for every other update), and only a read that
finds something to write (here: nobody, so register) opens the transaction that writes.

A gallery page turn (▶): 3 transactions and 9 statements before (language, the item with
its position and an OFFSET count, then the target by OFFSET); 2 transactions and 4
statements now: the account, then the anchor, its keyset neighbour, and one aggregate for
the neighbour's position and the gallery's size.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from tests.db_fixtures import truncate
from tests.e2e.db_counter import counting
from tests.e2e.harness import bot_world, buttons, is_avatar, text_of
from tests.fakes import images

PHOTO_TRANSACTIONS = 3
FIRST_CONTACT_READ = 1  # the read that found nobody, before the transaction that registers
PAGE_TURN_TRANSACTIONS = 2
PAGE_TURN_STATEMENTS = 4


@pytest.mark.parametrize("started", [True, False], ids=["after /start", "before /start"])
async def test_a_photo_reaches_its_queued_job_in_three_transactions_four_on_first_contact(
    database_url: str, tmp_path: Path, started: bool
) -> None:
    async with bot_world(database_url, tmp_path, workers=0, sweep_interval_seconds=3600) as world:
        user = await world.started_user(1) if started else world.user(1)
        expected = PHOTO_TRANSACTIONS + (0 if started else FIRST_CONTACT_READ)
        with counting(world.services.engine) as counter:
            await user.send_photo(images.jpeg(640, 480))
            await user.wait_for(lambda m: "Creating your superhero" in text_of(m))
            async with asyncio.timeout(10):  # the status message is recorded on the job last
                while counter.transactions < expected:
                    await asyncio.sleep(0.02)
            await asyncio.sleep(0.3)  # anything more would show up here
            transactions, statements = counter.transactions, list(counter.statements)

        (job,) = await world.generations(1)
        assert job.status == "queued" and job.status_message_id is not None
        assert transactions <= expected, statements


async def test_on_postgresql_the_update_and_the_account_read_are_one_round_trip_each(
    postgres_database: str, tmp_path: Path
) -> None:
    """A one-statement unit of work runs in autocommit on PostgreSQL: no BEGIN and COMMIT
    around the inbox's insert or the account read (three round trips each otherwise), while
    the charge-and-queue stays one transaction."""
    await truncate(postgres_database)
    async with bot_world(
        postgres_database, tmp_path, workers=0, sweep_interval_seconds=3600
    ) as world:
        user = await world.started_user(1)
        seen: list[tuple[str, object]] = []

        def on_statement(connection: Any, _cursor: Any, statement: str, *_: Any) -> None:
            seen.append((statement, connection.get_execution_options().get("isolation_level")))

        engine = world.services.engine.sync_engine
        event.listen(engine, "before_cursor_execute", on_statement)
        try:
            await user.send_photo(images.jpeg(640, 480))
            await user.wait_for(lambda m: "Creating your superhero" in text_of(m))
        finally:
            event.remove(engine, "before_cursor_execute", on_statement)

    def levels(prefix: str) -> list[object]:
        return [level for statement, level in seen if statement.startswith(prefix)]

    assert levels("INSERT INTO telegram_updates") == ["AUTOCOMMIT"]
    # The account with the photo's facts, then the charge's read of the user's style.
    assert levels("SELECT users.") == ["AUTOCOMMIT", None]
    assert levels("UPDATE users SET credits") == [None]  # the charge: in its transaction
    assert levels("INSERT INTO generations") == [None]


async def test_a_gallery_page_turn_is_two_transactions_and_four_statements(
    database_url: str, tmp_path: Path
) -> None:
    async with bot_world(database_url, tmp_path, workers=1) as world:
        user = await world.started_user(1)
        for _ in range(3):
            await world.avatar_after_photo(user)
        await user.send_text("/gallery")
        page = await user.wait_for(lambda m: bool(m.get("photo")) and "1 / 3" in text_of(m))
        assert not is_avatar(page)

        with counting(world.services.engine) as counter:
            await user.press(page, buttons(page)["▶"])
            await user.wait_for(lambda m: "2 / 3" in text_of(m))
            await asyncio.sleep(0.3)
            transactions, statements = counter.transactions, list(counter.statements)

        assert transactions == PAGE_TURN_TRANSACTIONS, statements
        assert len(statements) == PAGE_TURN_STATEMENTS, statements
