"""Albums in the Bot API emulator, read by a real PTB Bot: one update per photo, one
media_group_id, in any order, possibly in several getUpdates batches, some held back."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from telegram import Bot, Update

from playground.botapi import BotApiEmulator, sample_image

TOKEN = "123456:TEST-TOKEN"


@pytest.fixture
async def emu() -> AsyncIterator[BotApiEmulator]:
    async with BotApiEmulator(TOKEN) as emulator:
        yield emulator


@pytest.fixture
async def bot(emu: BotApiEmulator) -> AsyncIterator[Bot]:
    async with Bot(TOKEN, base_url=emu.api_base_url, base_file_url=emu.file_base_url) as client:
        yield client


async def _fetch(bot: Bot, offset: int) -> tuple[Update, ...]:
    return await bot.get_updates(offset=offset, timeout=2)


async def test_an_album_arrives_as_one_update_per_photo_in_the_given_order(
    emu: BotApiEmulator, bot: Bot
) -> None:
    user = emu.user(7, "Ada")
    photos = [sample_image(64 + i, 64) for i in range(3)]
    album = await user.send_album(photos, "me", order=[2, 0, 1])

    updates = await _fetch(bot, 0)

    messages = [u.message for u in updates if u.message]
    assert len(messages) == 3
    assert {m.media_group_id for m in messages} == {album.media_group_id}
    ids = [m["message_id"] for m in album.messages]
    assert [m.message_id for m in messages] == [ids[2], ids[0], ids[1]]
    assert ids == sorted(ids) and ids[-1] - ids[0] == 2
    captions = {m.message_id: m.caption for m in messages}
    assert captions == {ids[0]: "me", ids[1]: None, ids[2]: None}
    assert [m.photo[-1].width for m in sorted(messages, key=lambda m: m.message_id)] == [
        64,
        65,
        66,
    ]


async def test_a_split_album_reaches_the_bot_in_two_batches(emu: BotApiEmulator, bot: Bot) -> None:
    user = emu.user(7, "Ada")
    album = await user.send_album([sample_image() for _ in range(4)], split=True)

    first = await _fetch(bot, 0)
    second = await _fetch(bot, first[-1].update_id + 1)

    assert len(first) == 2 and len(second) == 2
    group = {u.message.media_group_id for u in (*first, *second) if u.message}
    assert group == {album.media_group_id}


async def test_held_parts_wait_for_deliver(emu: BotApiEmulator, bot: Bot) -> None:
    user = emu.user(7, "Ada")
    album = await user.send_album([sample_image() for _ in range(3)], hold=1)

    first = await _fetch(bot, 0)
    assert len(first) == 2 and len(album.held) == 1
    album.deliver()
    later = await _fetch(bot, first[-1].update_id + 1)

    assert [u.message.message_id for u in later if u.message] == [album.messages[2]["message_id"]]


async def test_albums_hold_two_to_ten_photos(emu: BotApiEmulator) -> None:
    user = emu.user(7, "Ada")
    for count in (1, 11):
        with pytest.raises(ValueError, match="2 to 10"):
            await user.send_album([sample_image()] * count)
