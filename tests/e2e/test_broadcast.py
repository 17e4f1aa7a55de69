"""Admin broadcasts end to end: preview and audience, confirmation, one copy per reachable
user, blocked users marked and skipped next time, one at a time, cancel, admins only."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select, update

from core import users
from core.clock import utcnow
from core.db import unit_of_work
from core.models import User
from tests.e2e.harness import BotWorld, bot_world, buttons, text_of

ADMIN = 900
UNKNOWN = "I don't know that command. /help lists what I can do."
NEWS = "📰 Capes are back this season"


@pytest.fixture
async def office(database_url: str, tmp_path: Path) -> AsyncIterator[BotWorld]:
    async with bot_world(
        database_url, tmp_path, admin_user_ids=[ADMIN], broadcast_per_second=30
    ) as world:
        yield world


async def add_users(world: BotWorld, ids: range) -> None:
    """Users who once started the bot (rows and chats), without replaying every /start."""
    async with unit_of_work(world.services.sessions) as session:
        for user_id in ids:
            world.user(user_id)
            await users.register(
                session, profile=users.Profile(user_id=user_id, first_name="U"), free_credits=0
            )


def copies(world: BotWorld, user_id: int) -> int:
    return sum(1 for m in world.user(user_id).messages if m.get("text") == NEWS)


async def blocked_ids(world: BotWorld) -> set[int]:
    async with unit_of_work(world.services.sessions) as session:
        return set(await session.scalars(select(User.id).where(User.blocked_at.is_not(None))))


async def test_a_broadcast_reaches_each_reachable_user_once_and_marks_blockers(
    office: BotWorld,
) -> None:
    world = office
    admin = await world.started_user(ADMIN)
    await add_users(world, range(1, 61))
    for user_id in range(1, 7):
        world.user(user_id).block(notify=False)  # Telegram will answer 403
    async with unit_of_work(world.services.sessions) as session:
        await session.execute(update(User).where(User.id > 58).values(blocked_at=utcnow()))

    news = await admin.send_text(NEWS)
    await admin.send_text("/broadcast", reply_to=news)
    preview = await admin.wait_for(lambda m: "Send it?" in text_of(m))
    assert "<b>" not in text_of(preview) and "59 users" in text_of(preview)  # 58 + the admin
    assert sum(1 for m in admin.messages if m.get("text") == NEWS) == 1  # the copy shown

    await admin.press(preview, buttons(preview)["📣 Send"])
    done = await admin.wait_for(lambda m: "Broadcast finished" in text_of(m), timeout=30)
    assert "sent 53, blocked the bot 6, failed 0 (of 59)" in text_of(done)
    assert [copies(world, u) for u in range(1, 61)] == [0] * 6 + [1] * 52 + [0] * 2
    assert copies(world, ADMIN) == 2  # the preview and the broadcast
    assert await blocked_ids(world) == {1, 2, 3, 4, 5, 6, 59, 60}

    world.user(3).unblock()  # writes again: included next time
    await world.user(3).send_text("/credits")
    await world.user(3).wait_for(lambda m: "credit" in text_of(m))
    assert await blocked_ids(world) == {1, 2, 4, 5, 6, 59, 60}
    again = await admin.send_text(NEWS + " (again)")
    await admin.send_text("/broadcast", reply_to=again)
    second = await admin.wait_for(lambda m: "Send it?" in text_of(m))
    assert "54 users" in text_of(second)


async def test_one_broadcast_at_a_time_and_cancel_stops_it(office: BotWorld) -> None:
    world = office
    admin = await world.started_user(ADMIN)
    await add_users(world, range(1, 31))
    news = await admin.send_text(NEWS)
    await admin.send_text("/broadcast", reply_to=news)
    preview = await admin.wait_for(lambda m: "Send it?" in text_of(m))
    hold = world.emu.hold("copyMessage", after=True)  # the first copy hangs at Telegram
    await admin.press(preview, buttons(preview)["📣 Send"])
    await admin.wait_for(lambda m: "Broadcasting to 31" in text_of(m))
    await hold.arrived()

    other = await admin.send_text("another")
    await admin.send_text("/broadcast", reply_to=other)
    await admin.wait_for(lambda m: "running already" in text_of(m))
    second = await admin.press(preview, "o:" + str(news["message_id"]))  # Send, pressed again
    assert "already" in (await world.emu.wait_callback_answered(second))["text"]
    await admin.send_text("/broadcast_cancel")
    cancelled = await admin.wait_for(lambda m: "Broadcast cancelled" in text_of(m))
    hold.discard()
    assert "left unsent" in text_of(cancelled)
    assert sum(copies(world, u) for u in range(1, 31)) <= 2
    await admin.send_text("/broadcast_cancel")
    await admin.wait_for(lambda m: "No broadcast is running" in text_of(m))


async def test_broadcast_commands_do_not_exist_for_others(office: BotWorld) -> None:
    world = office
    eve = await world.started_user(5)
    note = await eve.send_text("hi all")
    await eve.send_text("/broadcast", reply_to=note)
    assert text_of(await eve.wait_for(lambda m: "command" in text_of(m))) == UNKNOWN
    await eve.send_text("/broadcast_cancel")
    assert text_of(await eve.wait_for(lambda m: "command" in text_of(m))) == UNKNOWN
    forged = await eve.press(eve.messages[-1], "o:" + str(note["message_id"]))
    answer = await world.emu.wait_callback_answered(forged)
    assert "no longer valid" in answer["text"]
    assert not world.emu.calls("copyMessage")
