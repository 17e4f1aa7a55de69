"""The emulator's inline mode, sticker sets and copies, driven by real PTB (see
test_bot_api_emulator.py): what PTB sends and parses here is what the bot sends in production."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator

import pytest
from PIL import Image
from telegram import (
    Bot,
    InlineQueryResultCachedPhoto,
    InlineQueryResultsButton,
    InputSticker,
)
from telegram.error import BadRequest, Forbidden

from playground.botapi import BotApiEmulator, FakeUser

TOKEN = "123456:TEST-TOKEN"


def png(width: int = 512, height: int = 384) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGBA", (width, height), (200, 40, 90, 255)).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
async def emu() -> AsyncIterator[BotApiEmulator]:
    async with BotApiEmulator(token=TOKEN, bot_username="aivenger_test_bot") as emulator:
        emulator.enable_inline()
        yield emulator


@pytest.fixture
async def bot(emu: BotApiEmulator) -> AsyncIterator[Bot]:
    async with Bot(TOKEN, base_url=emu.api_base_url, base_file_url=emu.file_base_url) as client:
        yield client


@pytest.fixture
def ada(emu: BotApiEmulator) -> FakeUser:
    return emu.user(1001, first_name="Ada", language_code="en")


async def a_photo_file_id(bot: Bot, ada: FakeUser) -> str:
    message = await bot.send_photo(ada.chat_id, png(600, 400))
    return message.photo[-1].file_id


async def test_an_inline_query_is_answered_once_and_its_choice_reported(
    emu: BotApiEmulator, bot: Bot, ada: FakeUser
) -> None:
    file_id = await a_photo_file_id(bot, ada)
    query_id = await ada.inline_query("cyber", chat_type="group")
    (update,) = await bot.get_updates(timeout=0, allowed_updates=["inline_query"])
    assert update.inline_query is not None
    assert (update.inline_query.query, update.inline_query.chat_type) == ("cyber", "group")

    result = InlineQueryResultCachedPhoto(id="g1", photo_file_id=file_id, caption="me")
    await update.inline_query.answer([result], cache_time=10, is_personal=True, next_offset="k2")
    answer = await ada.inline_answer(query_id)
    assert [r["photo_file_id"] for r in answer["results"]] == [file_id]
    assert (answer["next_offset"], answer["cache_time"], answer["is_personal"]) == ("k2", 10, True)
    with pytest.raises(BadRequest, match="(?i)query is too old"):
        await update.inline_query.answer([])

    posted = ada.choose_inline_result(query_id, "g1")
    assert posted["via_bot"]["id"] == emu.bot_id and posted["chat"]["type"] == "group"
    assert posted["photo"][-1]["file_id"] == file_id
    updates = await bot.get_updates(
        offset=update.update_id + 1, timeout=0, allowed_updates=["chosen_inline_result"]
    )
    chosen = updates[0].chosen_inline_result
    assert chosen is not None and (chosen.result_id, chosen.query) == ("g1", "cyber")


async def test_inline_answers_follow_telegram_limits(bot: Bot, ada: FakeUser) -> None:
    file_id = await a_photo_file_id(bot, ada)
    query_id = await ada.inline_query("")

    too_many = [InlineQueryResultCachedPhoto(id=str(i), photo_file_id=file_id) for i in range(51)]
    with pytest.raises(BadRequest, match="(?i)RESULTS_TOO_MUCH"):
        await bot.answer_inline_query(query_id, too_many)
    twice = [InlineQueryResultCachedPhoto(id="x", photo_file_id=file_id)] * 2
    with pytest.raises(BadRequest, match="(?i)RESULT_ID_DUPLICATE"):
        await bot.answer_inline_query(query_id, twice)
    with pytest.raises(BadRequest, match="(?i)NEXT_OFFSET_INVALID"):
        await bot.answer_inline_query(query_id, [], next_offset="x" * 65)
    forged = [InlineQueryResultCachedPhoto(id="y", photo_file_id="AgACforged")]
    with pytest.raises(BadRequest, match="(?i)wrong file identifier"):
        await bot.answer_inline_query(query_id, forged)

    button = InlineQueryResultsButton(text="Make one", start_parameter="inline")
    await bot.answer_inline_query(query_id, [], button=button)
    answer = await ada.inline_answer(query_id)
    assert answer["results"] == []
    assert answer["button"] == {"text": "Make one", "start_parameter": "inline"}


async def test_a_share_button_opens_the_chooser_on_its_query(bot: Bot, ada: FakeUser) -> None:
    from telegram import InlineKeyboardButton, InlineKeyboardMarkup, SwitchInlineQueryChosenChat

    chosen = SwitchInlineQueryChosenChat(query="id:abc", allow_user_chats=True)
    markup = InlineKeyboardMarkup(
        [[InlineKeyboardButton("Share", switch_inline_query_chosen_chat=chosen)]]
    )
    sent = await bot.send_message(ada.chat_id, "avatar", reply_markup=markup)
    message = next(m for m in ada.messages if m["message_id"] == sent.message_id)

    await ada.press_inline_switch(message, "Share", chat_type="private")
    (update,) = await bot.get_updates(timeout=0, allowed_updates=["inline_query"])
    assert update.inline_query is not None and update.inline_query.query == "id:abc"
    with pytest.raises(ValueError, match="(?i)does not offer group"):
        await ada.press_inline_switch(message, "Share", chat_type="group")


async def test_a_users_sticker_set_is_created_grown_and_gone(
    emu: BotApiEmulator, bot: Bot, ada: FakeUser
) -> None:
    name = "aiv_1001_by_aivenger_test_bot"
    first = InputSticker(png(), ["🦸"], "static")
    await bot.create_new_sticker_set(ada.id, name, "Ada's avatars", [first])
    await bot.add_sticker_to_set(ada.id, name, InputSticker(png(384, 512), ["🦸"], "static"))
    stickers = (await bot.get_sticker_set(name)).stickers
    assert [(s.width, s.height, s.set_name) for s in stickers] == [
        (512, 384, name),
        (384, 512, name),
    ]
    sent = await bot.send_sticker(ada.chat_id, stickers[-1].file_id)
    assert sent.sticker is not None and sent.sticker.set_name == name

    with pytest.raises(BadRequest, match="(?i)already occupied"):
        await bot.create_new_sticker_set(ada.id, name, "Again", [first])
    with pytest.raises(BadRequest, match="(?i)sticker set name invalid"):
        await bot.create_new_sticker_set(ada.id, "aiv_1001_by_other_bot", "T", [first])
    with pytest.raises(BadRequest, match="(?i)STICKER_PNG_DIMENSIONS"):
        await bot.add_sticker_to_set(ada.id, name, InputSticker(png(600, 400), ["🦸"], "static"))
    emu.sticker_set_limit = 2
    with pytest.raises(BadRequest, match="(?i)STICKERS_TOO_MUCH"):
        await bot.add_sticker_to_set(ada.id, name, first)

    ada.delete_sticker_set(name)
    with pytest.raises(BadRequest, match="(?i)STICKERSET_INVALID"):
        await bot.add_sticker_to_set(ada.id, name, first)
    assert emu.sticker_set(name)["deleted"] is True  # type: ignore[index]


async def test_copy_message_copies_content_and_blocked_users_answer_403(
    emu: BotApiEmulator, bot: Bot, ada: FakeUser
) -> None:
    admin = emu.user(1, first_name="Admin")
    original = await admin.send_text("News: <b>capes</b> are back")
    copied = await bot.copy_message(ada.chat_id, admin.chat_id, original["message_id"])
    assert ada.messages[-1]["message_id"] == copied.message_id
    assert ada.messages[-1]["text"] == "News: <b>capes</b> are back"
    assert "forward_origin" not in ada.messages[-1]

    with pytest.raises(BadRequest, match="(?i)essage to copy not found"):
        await bot.copy_message(ada.chat_id, admin.chat_id, 999)
    ada.block(notify=False)
    with pytest.raises(Forbidden, match="(?i)bot was blocked by the user"):
        await bot.copy_message(ada.chat_id, admin.chat_id, original["message_id"])
    assert await bot.get_updates(timeout=0, allowed_updates=["my_chat_member"]) == ()
