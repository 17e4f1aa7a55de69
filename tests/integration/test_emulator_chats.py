"""The emulator's group, supergroup and channel shapes and the extra user messages, read by
real PTB: what it parses here is what the bot receives from Telegram."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from telegram import Bot, Update

from playground.botapi import BotApiEmulator

TOKEN = "123456:TEST-TOKEN"


@pytest.fixture
async def emu() -> AsyncIterator[BotApiEmulator]:
    async with BotApiEmulator(token=TOKEN, bot_username="aivenger_test_bot") as emulator:
        yield emulator


@pytest.fixture
async def bot(emu: BotApiEmulator) -> AsyncIterator[Bot]:
    async with Bot(TOKEN, base_url=emu.api_base_url, base_file_url=emu.file_base_url) as client:
        yield client


async def updates(bot: Bot) -> list[Update]:
    got = await bot.get_updates(timeout=0, allowed_updates=Update.ALL_TYPES)
    if got:
        await bot.get_updates(offset=got[-1].update_id + 1, timeout=0)
    return list(got)


async def test_group_members_anonymous_admins_and_channels_arrive_as_telegram_sends_them(
    emu: BotApiEmulator, bot: Bot
) -> None:
    ada = emu.user(1001, first_name="Ada")
    group = emu.group(-100500, title="Family")
    channel = emu.group(-100900, kind="channel", title="News")
    group.post(ada.user, {"text": "/start"})
    group.post_as_anonymous_admin({"text": "/gallery"})
    group.post_as_channel(channel.chat, {"text": "hello from the channel"})
    channel.channel_post({"text": "a post"})
    group.post(ada.user, {"text": "fixed"}, edited=True)

    member, admin, on_behalf, post, edit = await updates(bot)

    assert member.effective_user and member.effective_user.id == 1001
    assert member.effective_chat and member.effective_chat.type == "supergroup"
    assert admin.effective_user and admin.effective_user.id == 1087968824
    assert admin.effective_message and admin.effective_message.sender_chat
    assert admin.effective_message.sender_chat.id == -100500
    assert on_behalf.effective_user and on_behalf.effective_user.username == "Channel_Bot"
    assert on_behalf.effective_message and on_behalf.effective_message.sender_chat
    assert on_behalf.effective_message.sender_chat.id == -100900
    assert post.channel_post and post.effective_user is None and post.channel_post.sender_chat
    assert edit.edited_message and edit.edited_message.text == "fixed"


async def test_the_bot_answers_into_a_group_and_its_message_is_seen_there(
    emu: BotApiEmulator, bot: Bot
) -> None:
    group = emu.group(-100500, kind="group")
    await bot.send_message(group.id, "talk to me privately")

    answer = await group.wait_for(lambda m: "privately" in m["text"])

    assert answer["chat"]["type"] == "group" and len(group.messages) == 1


async def test_forwards_polls_dice_stories_and_web_app_data_parse(
    emu: BotApiEmulator, bot: Bot
) -> None:
    ada = emu.user(1001)
    await ada.send_forwarded("look")
    await ada.send_forwarded("news", from_chat={"id": -100900, "type": "channel", "title": "N"})
    await ada.send_poll()
    await ada.send_dice()
    await ada.send_story()
    await ada.send_web_app_data("{}")
    await ada.send_content({"caption": "one of ten", "media_group_id": "77"})

    got = [u.message for u in await updates(bot)]

    assert all(m is not None for m in got)
    user_fwd, channel_fwd, poll, dice, story, web_app, part = got  # type: ignore[misc]
    assert user_fwd.forward_origin and user_fwd.forward_origin.type == "user"
    assert channel_fwd.forward_origin and channel_fwd.forward_origin.type == "channel"
    assert poll.poll and dice.dice and dice.dice.value == 4
    assert story.story and web_app.web_app_data and web_app.web_app_data.data == "{}"
    assert part.media_group_id == "77"
