"""The playground's users and their play wallets, against the emulator and a real PTB Bot."""

from __future__ import annotations

import pytest
from telegram import Bot

from playground.botapi import BotApiEmulator
from playground.people import STARTING_STARS, People

TOKEN = "123456:TEST-TOKEN"


async def test_a_payment_spends_play_stars_and_the_bots_refund_gives_them_back() -> None:
    async with (
        BotApiEmulator(TOKEN) as emu,
        Bot(TOKEN, base_url=emu.api_base_url, base_file_url=emu.file_base_url) as bot,
    ):
        people = People(emu)
        ada = people.user(1001)
        await ada.send_successful_payment("p50", 50, "charge-1")
        people.wallets[1001].paid["charge-1"] = 50
        assert people.stars(1001) == STARTING_STARS - 50
        assert people.stars(1002) == STARTING_STARS

        await bot.refund_star_payment(1001, "charge-1")

        assert people.stars(1001) == STARTING_STARS


async def test_only_the_personas_exist_and_only_known_languages_are_set() -> None:
    async with BotApiEmulator(TOKEN) as emu:
        people = People(emu)
        assert [(u["first_name"], u["language"]) for u in people.describe()] == [
            ("Ada", "en"),
            ("Boris", "ru"),
        ]
        with pytest.raises(KeyError):
            people.user(666)
        with pytest.raises(KeyError):
            people.user("1001")  # ids are ints; the web layer converts
        people.set_language(1001, "ru")
        assert people.user(1001).user["language_code"] == "ru"
        with pytest.raises(ValueError, match="en, ru"):
            people.set_language(1001, "de")
