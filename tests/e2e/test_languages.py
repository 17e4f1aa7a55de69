"""English and Russian: chosen from Telegram's language_code, overridable with /language."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from telegram import LabeledPrice

from bot.texts_ru import RU
from playground.botapi import FakeUser
from tests.db_fixtures import sqlite_url
from tests.e2e.harness import BotWorld, bot_world, buttons, text_of
from tests.fakes import images
from tests.fakes.openrouter import Outcome

ADMIN = 900
RUSSIAN_MONTHS = RU["months"].split()


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[BotWorld]:
    async with bot_world(await sqlite_url(tmp_path), tmp_path, admin_user_ids=[ADMIN]) as running:
        yield running


def is_russian_avatar(message: dict[str, Any]) -> bool:
    return bool(message.get("photo")) and "осталось" in text_of(message)


async def russian_user(world: BotWorld, user_id: int = 5) -> FakeUser:
    user = world.user(user_id, first_name="Маша", language_code="ru")
    await user.send_text("/start")
    welcome = await user.wait_for(lambda m: "Добро пожаловать" in text_of(m))
    assert "У вас 30 бесплатных кредитов; один аватар стоит 10." in text_of(welcome)
    return user


async def test_a_russian_user_sees_russian_everywhere(world: BotWorld) -> None:
    user = await russian_user(world)
    await user.send_text("/gallery")
    await user.wait_for(lambda m: "Ваша галерея пуста" in text_of(m))
    await user.send_photo(images.jpeg())
    avatar = await user.wait_for(is_russian_avatar)
    await world.settled()
    await user.send_text("/gallery")
    page = await user.wait_for(lambda m: text_of(m).startswith("1 / 1"))
    await user.send_text("/credits")
    summary = await user.wait_for(lambda m: "Баланс" in text_of(m))
    await user.send_sticker()
    await user.wait_for(lambda m: "Я работаю только с фотографиями" in text_of(m))
    await user.send_text("/nonsense")
    await user.wait_for(lambda m: "Я не знаю такой команды" in text_of(m))
    world.model.script(Outcome.refusal("IMAGE_SAFETY"))
    await user.send_photo(images.jpeg())
    failure = await user.wait_for(lambda m: "возвращены" in text_of(m))

    assert "🦸 Супергерой · осталось 20 кредитов" in text_of(avatar)
    assert set(buttons(avatar)) == {
        "🔁 Ещё раз",
        "🖼 Галерея",
        "📄 В полном размере",
        "↗️ Поделиться",
        "🎭 Стикер",
    }
    assert "Супергерой" in text_of(page)
    assert any(month in text_of(page) for month in RUSSIAN_MONTHS)
    assert "Баланс: 20 кредитов" in text_of(summary)
    assert "🦸 −10 — аватар" in text_of(summary) and "приветственный бонус" in text_of(summary)
    assert "💳 Купить кредиты" in buttons(summary)
    assert "Модель отказалась" in text_of(failure)
    assert "10 кредитов возвращены — баланс: 20." in text_of(failure)
    await world.settled()


async def test_a_russian_purchase_and_refund(world: BotWorld) -> None:
    user = await russian_user(world)
    admin = await world.started_user(ADMIN)
    await user.send_text("/buy")
    packs = await user.wait_for(lambda m: "Выберите пакет" in text_of(m))
    assert list(buttons(packs)) == [
        "50 кредитов · 50 ⭐",
        "120 кредитов · 100 ⭐",
        "300 кредитов · 200 ⭐",
    ]
    await user.press(packs, buttons(packs)["50 кредитов · 50 ⭐"])
    invoice = await user.wait_for(lambda m: "invoice" in m)
    assert invoice["invoice"]["title"] == "50 кредитов AIVenger"
    assert "хватит на 5 аватаров" in invoice["invoice"]["description"]

    await user.pay(invoice)
    done = await user.wait_for(lambda m: "Оплата получена" in text_of(m))
    charge_id = user.last_payment["successful_payment"]["telegram_payment_charge_id"]  # type: ignore[index]
    await admin.send_text(f"/refund {charge_id}")
    preview = await admin.wait_for(lambda m: "Refund preview" in text_of(m))
    await admin.press(preview, buttons(preview)["Confirm refund"])
    await admin.wait_for(lambda m: "Refunded" in text_of(m))
    refunded = await user.wait_for(lambda m: "возвращён" in text_of(m), since=0)

    assert "+50 кредитов" in text_of(done) and "Баланс: 80" in text_of(done)
    assert text_of(refunded) == "↩️ Ваш платёж на 50 ⭐ возвращён. Списано 50 кредитов; баланс: 30."
    print("\n".join(world.emu.transcript(user.id)))


async def test_a_russian_refusal_at_checkout_is_in_russian(world: BotWorld) -> None:
    user = await russian_user(world)
    other = await world.started_user(6)
    await other.send_text("/buy")
    packs = await other.wait_for(lambda m: "Pick a pack" in text_of(m))
    await other.press(packs, buttons(packs)["50 credits · 50 ⭐"])
    await other.wait_for(lambda m: "invoice" in m)
    payload = world.emu.calls("sendInvoice")[-1].params["payload"]
    forwarded = await world.app.bot.send_invoice(
        user.id, "Credits", "Credits", payload, "XTR", [LabeledPrice("x", 50)]
    )

    assert await user.pay(forwarded.to_dict()) == (
        False,
        "Этот счёт выставлен другому аккаунту. Откройте /buy, чтобы получить свой.",
    )


async def test_language_switches_and_is_remembered(world: BotWorld) -> None:
    user = await russian_user(world)
    await user.send_text("/language en")
    await user.wait_for(lambda m: "Language set to English" in text_of(m))
    await user.send_text("/credits")
    await user.wait_for(lambda m: "Balance: 30 credits" in text_of(m))
    await user.send_text("/start")
    await user.wait_for(lambda m: "Welcome back, Маша" in text_of(m))

    await user.send_text("/language")
    menu = await user.wait_for(lambda m: "Choose your language" in text_of(m))
    assert set(buttons(menu)) == {"✓ English", "Русский"}
    query_id = await user.press(menu, buttons(menu)["Русский"])
    await user.wait_for(lambda m: "Язык переключён на русский" in text_of(m))
    await world.emu.wait_callback_answered(query_id)
    await user.send_text("/help")
    await user.wait_for(lambda m: "Как это работает" in text_of(m))


async def test_an_english_client_can_choose_russian(world: BotWorld) -> None:
    user = await world.started_user(7)
    await user.send_text("/language ru")
    await user.wait_for(lambda m: "Язык переключён на русский" in text_of(m))
    await user.send_text("/credits")
    await user.wait_for(lambda m: "Баланс: 30 кредитов" in text_of(m))


async def test_the_command_menu_is_registered_per_language(world: BotWorld) -> None:
    english = {c["command"]: c["description"] for c in world.emu.my_commands()}
    russian = {c["command"]: c["description"] for c in world.emu.my_commands(language_code="ru")}

    assert list(english) == list(russian)
    assert english["buy"] == "Buy credits" and russian["buy"] == "Купить кредиты"
    assert russian["gallery"] == "Ваши аватары"
