""" "⏳ Creating your superhero…" is a promise: it is sent only once the charge and the job are
committed, and it never outlives the avatar or the failure it announced (product §1)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.db_fixtures import sqlite_url
from tests.e2e.harness import BotWorld, bot_world, is_avatar, text_of
from tests.fakes import images
from tests.fakes.openrouter import Outcome

WORKING = "Creating your superhero"


@contextmanager
def queued_commits(engine: AsyncEngine) -> Iterator[list[float]]:
    """When (monotonic) each transaction that inserted a generation committed."""
    moments: list[float] = []

    def on_statement(connection: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO GENERATIONS"):
            connection.info["queues_a_job"] = True

    def on_commit(connection: Any) -> None:
        if connection.info.pop("queues_a_job", False):
            moments.append(time.monotonic())

    sync = engine.sync_engine
    event.listen(sync, "before_cursor_execute", on_statement)
    event.listen(sync, "commit", on_commit)
    try:
        yield moments
    finally:
        event.remove(sync, "before_cursor_execute", on_statement)
        event.remove(sync, "commit", on_commit)


def working_messages(world: BotWorld, user_id: int) -> list[str]:
    return [text_of(m) for m in world.emu.user(user_id).messages if WORKING in text_of(m)]


async def test_the_status_message_is_sent_only_after_the_job_is_committed(
    tmp_path: Path,
) -> None:
    async with bot_world(await sqlite_url(tmp_path), tmp_path) as world:
        world.model.latency = 1.0  # long enough for "⏳" to be on screen while it works
        user = await world.started_user(1)
        with queued_commits(world.services.engine) as committed:
            await user.send_photo(images.jpeg(640, 480))
            await user.wait_for(lambda m: WORKING in text_of(m))
        status_sent = [
            call.at for call in world.emu.calls("sendMessage") if WORKING in call.params["text"]
        ]

        assert len(committed) == 1 and len(status_sent) == 1
        assert committed[0] < status_sent[0]
        await user.wait_for(is_avatar)
        await world.settled()
        assert working_messages(world, 1) == []


async def test_no_status_message_outlives_an_instant_avatar_or_failure(tmp_path: Path) -> None:
    async with bot_world(await sqlite_url(tmp_path), tmp_path) as world:
        world.model.latency = 0.0
        users = [await world.started_user(user_id) for user_id in (1, 2, 3, 4)]
        world.model.script(Outcome.refusal(), Outcome.refusal())
        for user in users:
            await user.send_photo(images.jpeg(640, 480))
            await user.send_photo(images.jpeg(480, 640))
        async with asyncio.timeout(15):
            while len(await world.generations()) < 8:
                await asyncio.sleep(0.05)
        rows = await world.settled()
        async with asyncio.timeout(10):  # a handler may still be tidying its own "⏳"
            while any(working_messages(world, user.id) for user in users):
                await asyncio.sleep(0.05)

        assert sorted(row.status for row in rows) == ["completed"] * 6 + ["failed"] * 2
        assert sum(len([m for m in u.messages if is_avatar(m)]) for u in users) == 6
