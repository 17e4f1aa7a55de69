"""The emulator's change observer and the playground feed built on it, driven by a real PTB Bot:
every change the chat page must show (a message, an edit, a chat action, a deletion) notifies
the observer, and the feed turns it into exactly one event."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import ChatAction

from playground.botapi import BotApiEmulator, sample_image
from playground.feed import ChatFeed

TOKEN = "123456:TEST-TOKEN"


@pytest.fixture
async def emu() -> AsyncIterator[BotApiEmulator]:
    async with BotApiEmulator(TOKEN) as emulator:
        yield emulator


@pytest.fixture
async def bot(emu: BotApiEmulator) -> AsyncIterator[Bot]:
    async with Bot(TOKEN, base_url=emu.api_base_url, base_file_url=emu.file_base_url) as client:
        yield client


async def test_every_visible_change_notifies_until_unsubscribed(
    emu: BotApiEmulator, bot: Bot
) -> None:
    user = emu.user(7, "Ada")
    calls: list[int] = []
    unsubscribe = emu.on_change(lambda: calls.append(1))

    await user.send_text("hi")
    after_user = len(calls)
    sent = await bot.send_message(7, "hello")
    after_send = len(calls)
    await bot.send_chat_action(7, ChatAction.UPLOAD_PHOTO)
    after_action = len(calls)
    await bot.edit_message_text("hello again", chat_id=7, message_id=sent.message_id)
    after_edit = len(calls)
    await bot.delete_message(7, sent.message_id)
    after_delete = len(calls)
    unsubscribe()
    await bot.send_message(7, "unheard")

    assert 0 < after_user < after_send < after_action < after_edit < after_delete == len(calls)
    assert [m["text"] for m in emu.chat_messages(7)] == ["hi", "unheard"]  # both sides, live


async def test_the_feed_reports_each_change_once(emu: BotApiEmulator, bot: Bot) -> None:
    user = emu.user(7, "Ada")
    feed = ChatFeed(emu, [7])
    await user.send_text("/start")
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Go", callback_data="go")]])
    sent = await bot.send_message(7, "<b>hello</b>", parse_mode="HTML", reply_markup=keyboard)

    first = feed.changes()
    assert [(e["type"], e["message"]["outgoing"]) for e in first] == [
        ("message", True),
        ("message", False),
    ]
    assert first[1]["message"]["entities"] == [{"type": "bold", "offset": 0, "length": 5}]
    assert feed.changes() == []  # nothing new, nothing said

    await bot.send_chat_action(7, ChatAction.UPLOAD_PHOTO)
    await bot.edit_message_text("bye", chat_id=7, message_id=sent.message_id)
    await bot.send_photo(7, sample_image(64, 64), caption="pic")
    changes = feed.changes()
    assert [e["type"] for e in changes] == ["message", "message", "action"]
    assert changes[0]["message"]["text"] == "bye"
    assert "edit_date" in changes[0]["message"]
    assert changes[1]["message"]["photo_url"].startswith("/play/file/")
    assert changes[2]["action"] == "upload_photo"

    await bot.delete_message(7, sent.message_id)
    assert feed.changes() == [{"type": "delete", "user": 7, "message_id": sent.message_id}]
    assert [e["message"]["message_id"] for e in feed.snapshot()] == [1, 3]
