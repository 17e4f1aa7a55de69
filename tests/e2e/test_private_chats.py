"""Private chats only (docs/product.md): groups, channels and messages sent on behalf of a
chat create no account, charge nothing, start nothing and show no one's data; each such chat
gets at most one short answer with a button to the private chat, remembered in the database."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from core.db import unit_of_work
from core.models import User
from core.telegram_tables import ChatNotice
from playground.botapi.user_chats import GROUP_ANONYMOUS_BOT, FakeChat
from tests.db_fixtures import sqlite_url
from tests.e2e.harness import BotWorld, bot_world, text_of
from tests.fakes import images

JsonDict = dict[str, Any]


async def accounts(world: BotWorld) -> list[int]:
    async with unit_of_work(world.services.sessions) as session:
        return list(await session.scalars(select(User.id).order_by(User.id)))


async def notices(world: BotWorld) -> int:
    async with unit_of_work(world.services.sessions) as session:
        return int(await session.scalar(select(func.count()).select_from(ChatNotice)) or 0)


def private_chat_button(message: JsonDict) -> str:
    (row,) = message["reply_markup"]["inline_keyboard"]
    (button,) = row
    return str(button["url"])


async def quiet(world: BotWorld, *chats: FakeChat, seconds: float = 1.5) -> None:
    """Give the bot time to (wrongly) answer, then let it finish what it started."""
    import asyncio

    await asyncio.sleep(seconds)
    await world.settled()


async def test_an_avatar_made_in_one_group_never_shows_in_another_groups_gallery(
    tmp_path: Path,
) -> None:
    async with bot_world(await sqlite_url(tmp_path), tmp_path) as world:
        family = world.emu.group(-1001, title="Alice's family")
        mallory = world.emu.group(-1002, title="Mallory's den")
        family.post_as_anonymous_admin(family.text("/start"))
        family.post_as_anonymous_admin(family.photo(images.jpeg(640, 480), "red cape"))
        await quiet(world, family)
        mallory.post_as_anonymous_admin(mallory.text("/gallery"))
        mallory.post_as_anonymous_admin(mallory.text("/credits"))
        await quiet(world, mallory)

        assert GROUP_ANONYMOUS_BOT["id"] not in await accounts(world)
        assert await world.generations() == [] and world.model.requests == []
        assert not any(m.get("photo") for m in family.messages + mallory.messages)
        for chat in (family, mallory):
            (notice,) = chat.messages  # one short answer per chat, however many messages
            assert "private" in text_of(notice).lower()
            assert private_chat_button(notice).startswith("https://t.me/aivenger_test_bot?start=")
        assert await notices(world) == 2


async def test_members_and_channels_in_groups_get_no_account_and_one_answer(tmp_path: Path) -> None:
    async with bot_world(await sqlite_url(tmp_path), tmp_path) as world:
        ada = world.user(1)
        group = world.emu.group(-2001, kind="group")
        news = world.emu.group(-2002, kind="channel", title="News")
        group.post(ada.user, group.text("/start"))
        group.post(ada.user, group.photo(images.jpeg(320, 240)))
        group.post_as_channel(news.chat, group.text("/buy"))
        news.channel_post(news.text("/start"))
        news.channel_post(news.photo(images.jpeg(320, 240)))
        await quiet(world, group, news)

        assert await accounts(world) == []
        assert len(group.messages) == 1
        assert news.messages == []  # the bot does not post into someone's channel
        assert world.emu.calls("sendInvoice") == []


async def test_a_group_is_answered_once_across_a_restart(tmp_path: Path) -> None:
    url = await sqlite_url(tmp_path)
    async with bot_world(url, tmp_path) as world:
        group = world.emu.group(-3001)
        group.post(world.user(1).user, group.text("/help"))
        await group.wait_for(lambda m: "private" in text_of(m).lower())
    async with bot_world(url, tmp_path) as world:
        group = world.emu.group(-3001)  # a new emulator: the bot's memory is the database
        group.post(world.user(1).user, group.text("/help"))
        await quiet(world, group)

        assert group.messages == []


async def test_presses_on_old_group_messages_are_answered_and_show_nothing(
    tmp_path: Path,
) -> None:
    async with bot_world(await sqlite_url(tmp_path), tmp_path) as world:
        ada = await world.started_user(1)
        await world.avatar_after_photo(ada)
        (gen,) = await world.generations(1)
        group = world.emu.group(-4001)
        sent = await world.app.bot.send_message(group.id, "an avatar from before the rule")
        (old,) = group.messages
        assert old["message_id"] == sent.message_id
        before = await world.balance(1)
        for data in ("g:", "b:", f"p:{gen.id}", f"f:{gen.id}", f"y:{gen.id}", f"a:{gen.id}"):
            query_id = await ada.press(old, data)
            answer = await world.emu.wait_callback_answered(query_id)
            assert answer is not None

        await quiet(world, group)
        assert group.messages == [old]
        assert world.emu.calls("sendDocument") == [] and world.emu.calls("sendInvoice") == []
        assert [g.status for g in await world.generations(1)] == ["completed"]
        assert await world.balance(1) == before == await world.ledger_sum(1)
