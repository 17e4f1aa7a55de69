"""Buying credits with Telegram Stars: invoice, pre-checkout, successful_payment, refunds."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from telegram import LabeledPrice

from core.db import unit_of_work
from core.models import LedgerEntry, Payment
from core.settings_values import CreditPack
from playground.botapi import FakeUser
from tests.db_fixtures import sqlite_url
from tests.e2e.harness import BotWorld, bot_world, buttons, text_of
from tests.fakes import images
from tests.robustness.userview import inbox_statuses, until

ADMIN = 900

JsonDict = dict[str, Any]


@pytest.fixture
async def shop(database_url: str, tmp_path: Path) -> AsyncIterator[BotWorld]:
    """A running bot with one admin, on SQLite and on PostgreSQL."""
    async with bot_world(database_url, tmp_path, admin_user_ids=[ADMIN]) as world:
        yield world


def is_invoice(message: JsonDict) -> bool:
    return "invoice" in message


async def invoice_for(user: FakeUser, pack_button: str = "50 credits · 50 ⭐") -> JsonDict:
    """/buy, then press a pack: the invoice message the user can pay."""
    await user.send_text("/buy")
    packs = await user.wait_for(lambda m: "Pick a pack" in text_of(m))
    await user.press(packs, buttons(packs)[pack_button])
    return await user.wait_for(is_invoice)


async def ledger_rows(world: BotWorld, user_id: int, kind: str) -> list[LedgerEntry]:
    async with unit_of_work(world.services.sessions) as session:
        rows = await session.scalars(
            select(LedgerEntry).where(LedgerEntry.user_id == user_id, LedgerEntry.kind == kind)
        )
        return list(rows)


def update_id_of(world: BotWorld, matches: Callable[[JsonDict], bool]) -> int:
    """The update_id Telegram gave an update the bot has fetched (to replay it)."""
    for call in world.emu.calls("getUpdates"):
        for update in call.response.get("result", []):
            if matches(update):
                return int(update["update_id"])
    raise LookupError("no such update was fetched")


async def wait_for_log(caplog: pytest.LogCaptureFixture, text: str, timeout: float = 10) -> None:
    async with asyncio.timeout(timeout):
        while not any(text in record.getMessage() for record in caplog.records):
            await asyncio.sleep(0.05)


async def test_buying_a_pack_credits_it_once_even_when_the_update_comes_twice(
    shop: BotWorld, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.handlers.buy")
    user = await shop.started_user(1)
    invoice = await invoice_for(user)

    sent = shop.emu.calls("sendInvoice")[-1].params
    assert sent["currency"] == "XTR"
    assert sent.get("provider_token", "") == ""
    assert len(sent["prices"]) == 1 and sent["prices"][0]["amount"] == 50
    assert len(sent["payload"].encode()) <= 128
    assert ":1:p50:50:50:" in sent["payload"]  # names the user and the pack

    ok, error = await user.pay(invoice)
    assert (ok, error) == (True, None)
    done = await user.wait_for(lambda m: "Payment received" in text_of(m))
    assert "+50 credits" in text_of(done) and "Balance: 80" in text_of(done)
    charge_id = user.last_payment["successful_payment"]["telegram_payment_charge_id"]  # type: ignore[index]
    purchases = await ledger_rows(shop, 1, "purchase")
    assert [(row.delta, row.idempotency_key) for row in purchases] == [
        (50, f"purchase:{charge_id}")
    ]

    update_id = update_id_of(shop, lambda u: "successful_payment" in u.get("message", {}))
    shop.emu.replay_update(update_id)
    await until(lambda: shop.emu.confirmed(update_id))  # fetched again, stored once: no handler
    await asyncio.sleep(0.3)

    assert (await inbox_statuses(shop))[update_id] == "done"

    assert await shop.balance(1) == 80 == await shop.ledger_sum(1)
    assert len(await ledger_rows(shop, 1, "purchase")) == 1
    assert len([m for m in user.messages if "Payment received" in text_of(m)]) == 1
    print("\n".join(shop.emu.transcript(1)))


async def test_a_new_successful_payment_message_for_the_same_charge_credits_nothing(
    shop: BotWorld, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.handlers.buy")
    user = await shop.started_user(1)
    await user.pay(await invoice_for(user))
    await user.wait_for(lambda m: "Payment received" in text_of(m))
    payment = user.last_payment["successful_payment"]  # type: ignore[index]

    await user.send_successful_payment(
        payment["invoice_payload"], payment["total_amount"], payment["telegram_payment_charge_id"]
    )
    await wait_for_log(caplog, "payment update redelivered")

    assert await shop.balance(1) == 80 == await shop.ledger_sum(1)


async def test_pre_checkout_refuses_forged_foreign_and_repriced_invoices(world: BotWorld) -> None:
    owner, other = await world.started_user(1), await world.started_user(2)
    genuine = await invoice_for(owner)
    payload = world.emu.calls("sendInvoice")[-1].params["payload"]
    bot = world.app.bot

    async def invoice_with(user: FakeUser, forged_payload: str, stars: int) -> JsonDict:
        sent = await bot.send_invoice(
            user.id,
            "Credits",
            "Credits",
            forged_payload,
            "XTR",
            [LabeledPrice("Credits", stars)],
        )
        return sent.to_dict()

    cheap = payload.replace(":p50:50:50:", ":p300:300:1:")  # 300 credits for 1 Star
    assert await owner.pay(await invoice_with(owner, cheap, 1)) == (
        False,
        "This invoice is not valid. Please open /buy and try again.",
    )
    unsigned = await invoice_with(owner, "v1:1:p50:50:50:" + "0" * 32, 50)
    assert (await owner.pay(unsigned))[0] is False
    assert await other.pay(await invoice_with(other, payload, 50)) == (
        False,
        "This invoice was made for another account. Open /buy to get your own.",
    )
    world.settings.credit_packs[0] = CreditPack(("p50", 50, 60))  # repriced while it was open
    assert await owner.pay(genuine) == (
        False,
        "The price of this pack has changed. Open /buy for a fresh invoice.",
    )

    assert await world.balance(1) == 30 and await world.balance(2) == 30
    assert await ledger_rows(world, 1, "purchase") == []


async def test_pre_checkout_is_answered_at_once_while_twenty_generations_run(
    tmp_path: Path,
) -> None:
    async with bot_world(await sqlite_url(tmp_path), tmp_path, workers=24) as world:
        buyer = await world.started_user(100)
        invoice = await invoice_for(buyer)
        world.model.latency = 6.0
        for user_id in range(1, 11):
            user = await world.started_user(user_id)
            await user.send_photo(images.jpeg(640, 480))
            await user.send_photo(images.jpeg(480, 640))
        async with asyncio.timeout(20):
            while sum(1 for g in await world.generations() if g.status == "running") < 20:
                await asyncio.sleep(0.05)

        started = time.monotonic()
        ok, error = await buyer.pay(invoice)
        answered_in = time.monotonic() - started
        await buyer.wait_for(lambda m: "Payment received" in text_of(m))

        assert (ok, error) == (True, None)
        print(f"pre-checkout answered in {answered_in:.3f}s with 20 generations running")
        assert answered_in < 2.0, f"pre-checkout took {answered_in:.2f}s"
        assert sum(1 for g in await world.generations() if g.status == "running") >= 10
        await world.settled(timeout=30)


async def test_an_admin_refund_returns_the_stars_and_takes_back_what_is_left_once(
    database_url: str, tmp_path: Path
) -> None:
    async with bot_world(database_url, tmp_path, admin_user_ids=[ADMIN], free_credits=0) as world:
        user = await world.started_user(1)
        admin = await world.started_user(ADMIN)
        await user.pay(await invoice_for(user))
        await user.wait_for(lambda m: "Payment received" in text_of(m))
        for _ in range(2):
            await world.avatar_after_photo(user)
        assert await world.balance(1) == 30
        charge_id = user.last_payment["successful_payment"]["telegram_payment_charge_id"]  # type: ignore[index]

        await admin.send_text(f"/refund {charge_id}")
        preview = await admin.wait_for(lambda m: "Refund preview" in text_of(m))
        await admin.press(preview, buttons(preview)["Confirm refund"])
        report = await admin.wait_for(lambda m: "Refunded" in text_of(m))
        notice = await user.wait_for(lambda m: "was refunded" in text_of(m), since=0)
        await admin.send_text(f"/refund {charge_id}")
        again = await admin.wait_for(lambda m: "already refunded" in text_of(m))

        assert "Took back 30 of 50 credits; balance now 0" in text_of(report)
        assert "30 credits were removed; balance: 0" in text_of(notice)
        assert "nothing changed" in text_of(again)
        assert world.emu.refunds == [{"user_id": 1, "telegram_payment_charge_id": charge_id}]
        assert await world.balance(1) == 0 == await world.ledger_sum(1)
        rows = await ledger_rows(world, 1, "purchase_refund")
        assert [(r.delta, r.idempotency_key) for r in rows] == [
            (-30, f"purchase_refund:{charge_id}")
        ]
        async with unit_of_work(world.services.sessions) as session:
            payment = await session.scalar(select(Payment).where(Payment.charge_id == charge_id))
        assert payment is not None and payment.refunded_at is not None


async def test_paysupport_and_terms_answer_and_a_support_request_reaches_the_admin(
    shop: BotWorld,
) -> None:
    user = await shop.started_user(1)
    admin = await shop.started_user(ADMIN)
    await user.send_text("/terms")
    terms = await user.wait_for(lambda m: "Terms of service" in text_of(m))
    await user.send_text("/paysupport")
    support = await user.wait_for(lambda m: "Payment support" in text_of(m))
    await user.send_text("/paysupport I paid <50> stars, no credits")
    await user.wait_for(lambda m: "reached our support team" in text_of(m))
    request = await admin.wait_for(lambda m: "no credits" in text_of(m))

    assert "Telegram Stars" in text_of(terms) and "/paysupport" in text_of(terms)
    assert "/paysupport" in text_of(support)
    assert "I paid <50> stars" in text_of(request) and "id 1" in text_of(request)


async def test_the_buy_button_under_credits_opens_the_packs(world: BotWorld) -> None:
    user = await world.started_user(1)
    await user.send_text("/credits")
    summary = await user.wait_for(lambda m: "Balance" in text_of(m))
    query_id = await user.press(summary, buttons(summary)["💳 Buy credits"])
    packs = await user.wait_for(lambda m: "Pick a pack" in text_of(m))

    await world.emu.wait_callback_answered(query_id)
    assert list(buttons(packs)) == [
        "50 credits · 50 ⭐",
        "120 credits · 100 ⭐",
        "300 credits · 200 ⭐",
    ]
    stale = await user.press(packs, "k:p999")
    assert (await world.emu.wait_callback_answered(stale))[
        "text"
    ] == "This button is no longer valid."
