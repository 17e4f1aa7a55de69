"""🎭 end to end: an avatar becomes a sticker in the user's own pack (created once, then
grown), one press or two, a deleted pack is replaced, and refusals cost nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from playground.botapi import FakeUser
from tests.db_fixtures import sqlite_url
from tests.e2e.harness import BotWorld, bot_world, buttons, text_of

PACK = "aiv_1_by_aivenger_test_bot"


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[BotWorld]:
    async with bot_world(await sqlite_url(tmp_path), tmp_path) as running:
        yield running


@pytest.fixture
async def priced(database_url: str, tmp_path: Path) -> AsyncIterator[BotWorld]:
    async with bot_world(database_url, tmp_path, sticker_cost=5) as running:
        yield running


async def press_sticker(user: FakeUser, avatar: dict[str, object]) -> str:
    return await user.press(avatar, buttons(avatar)["🎭 Sticker"])  # type: ignore[arg-type]


def is_pack_link(message: dict[str, object]) -> bool:
    return "t.me/addstickers/" in text_of(message)


async def test_stickers_land_in_the_users_own_pack_created_once(world: BotWorld) -> None:
    ada = await world.started_user(1, first_name="Ada")
    first = await world.avatar_after_photo(ada)
    await press_sticker(ada, first)
    link = await ada.wait_for(is_pack_link)
    assert f"https://t.me/addstickers/{PACK}" in text_of(link)
    sticker = next(m for m in ada.messages if "sticker" in m)
    assert sticker["sticker"]["set_name"] == PACK

    second = await world.avatar_after_photo(ada)
    await press_sticker(ada, second)
    await ada.wait_for(is_pack_link)
    pack = world.emu.sticker_set(PACK)
    assert pack is not None and pack["title"] == "Ada's superheroes"
    assert len(pack["stickers"]) == 2
    assert all(max(s["width"], s["height"]) == 512 for s in pack["stickers"])
    assert len(world.emu.calls("createNewStickerSet")) == 1
    assert len(world.emu.calls("addStickerToSet")) == 1


async def test_two_presses_at_once_make_one_sticker(world: BotWorld) -> None:
    ada = await world.started_user(1)
    avatar = await world.avatar_after_photo(ada)
    hold = world.emu.hold("createNewStickerSet")
    first = await press_sticker(ada, avatar)
    await hold.arrived()
    second = await press_sticker(ada, avatar)
    answer = await world.emu.wait_callback_answered(second)
    assert "on its way" in answer.get("text", "")
    hold.release()
    await world.emu.wait_callback_answered(first)
    await ada.wait_for(is_pack_link, since=0)

    again = await press_sticker(ada, avatar)  # done already: the same sticker, nothing new
    await world.emu.wait_callback_answered(again)
    await ada.wait_for(lambda m: "already is a sticker" in text_of(m))
    assert len(world.emu.sticker_set(PACK)["stickers"]) == 1  # type: ignore[index]


async def test_a_deleted_pack_is_replaced_by_a_new_one(world: BotWorld) -> None:
    ada = await world.started_user(1)
    await press_sticker(ada, await world.avatar_after_photo(ada))
    await ada.wait_for(is_pack_link)
    ada.delete_sticker_set(PACK)

    await press_sticker(ada, await world.avatar_after_photo(ada))
    link = await ada.wait_for(is_pack_link)
    assert "aiv_1_2_by_aivenger_test_bot" in text_of(link)
    assert len(world.emu.sticker_set("aiv_1_2_by_aivenger_test_bot")["stickers"]) == 1  # type: ignore[index]


async def test_a_priced_sticker_is_charged_once_and_refusals_cost_nothing(priced: BotWorld) -> None:
    world = priced
    ada = await world.started_user(1)
    avatar = await world.avatar_after_photo(ada)
    start = await world.balance(1)
    await press_sticker(ada, avatar)
    made = await ada.wait_for(is_pack_link)
    assert f"{start - 5} left" in text_of(made)
    assert await world.balance(1) == await world.ledger_sum(1) == start - 5

    world.emu.sticker_set_limit = 1  # the pack is full now
    other = await world.avatar_after_photo(ada)
    before = await world.balance(1)
    answer = await world.emu.wait_callback_answered(await press_sticker(ada, other))
    assert "pack is full" in answer["text"] and "Nothing was charged" in answer["text"]
    assert await world.balance(1) == await world.ledger_sum(1) == before

    world.emu.sticker_set_limit = 120
    world.emu.fail_next("addStickerToSet", status=429, retry_after=7)
    answer = await world.emu.wait_callback_answered(await press_sticker(ada, other))
    assert "wait 7 s" in answer["text"]
    assert await world.balance(1) == await world.ledger_sum(1) == before

    await press_sticker(ada, other)  # Telegram is fine again: this one works and is charged
    await ada.wait_for(lambda m: is_pack_link(m) and f"{before - 5} left" in text_of(m))
    assert await world.balance(1) == await world.ledger_sum(1) == before - 5
