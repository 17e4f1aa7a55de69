"""Paid Stars are never lost (product §7, issue 12): a payment is stored before it is credited,
crediting retries, reconciliation with getStarTransactions finds what the bot never saw, and
Telegram's own refunds take the pack back once."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select

from core import ledger
from core.db import unit_of_work
from core.models import Payment
from playground.botapi import FakeUser
from tests.e2e.harness import BotWorld, bot_world, text_of
from tests.e2e.test_payments import invoice_for, ledger_rows
from tests.robustness.db_faults import failing_statements
from tests.robustness.userview import saying

ADMIN = 900
RECEIVED = "Payment received"


@pytest.fixture
async def shop(database_url: str, tmp_path: Path) -> AsyncIterator[BotWorld]:
    async with bot_world(database_url, tmp_path, admin_user_ids=[ADMIN]) as world:
        yield world


async def stored(world: BotWorld, charge_id: str) -> Payment | None:
    async with unit_of_work(world.services.sessions) as session:
        return await session.scalar(select(Payment).where(Payment.charge_id == charge_id))


async def paid(world: BotWorld, user: FakeUser) -> str:
    """Pay a 50-credit pack; the charge id."""
    assert await user.pay(await invoice_for(user)) == (True, None)
    return str(user.last_payment["successful_payment"]["telegram_payment_charge_id"])  # type: ignore[index]


async def test_a_database_error_in_the_crediting_transaction_loses_nothing(
    shop: BotWorld, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    user = await shop.started_user(1)
    with failing_statements(shop.services.engine, r"^INSERT INTO credit_ledger") as failed:
        charge_id = await paid(shop, user)
        done = await user.wait_for(lambda m: RECEIVED in text_of(m))
    assert len(failed) == 1  # the crediting transaction did hit the error

    assert "+50 credits" in text_of(done) and "Balance: 80" in text_of(done)
    payment = await stored(shop, charge_id)
    assert payment is not None and payment.credited_at is not None
    assert payment.payload and payment.stars == 50 and payment.user_id == 1
    assert await shop.balance(1) == 80 == await shop.ledger_sum(1)
    assert len(await ledger_rows(shop, 1, "purchase")) == 1
    assert any(charge_id in record.getMessage() for record in caplog.records)
    assert not any(
        shop.settings.telegram_bot_token.get_secret_value() in r.getMessage()
        for r in caplog.records
        if r.name.startswith(("core.", "bot."))  # httpx's own lines: bot/logs.py quiets them
    )
    assert not saying(user, "couldn't match it")

    admin = await shop.started_user(ADMIN)
    await admin.send_text(f"/refund {charge_id}")
    answer = await admin.wait_for(lambda m: charge_id in text_of(m))
    assert "No payment" not in text_of(answer)


async def test_payment_received_is_said_only_after_the_credit_commits(shop: BotWorld) -> None:
    """The database refuses every credit for longer than the retries: the user hears the
    credits are on their way (not "received"), and reconciliation credits and tells them."""
    user = await shop.started_user(1)
    with failing_statements(shop.services.engine, r"^INSERT INTO credit_ledger", times=99):
        charge_id = await paid(shop, user)
        await user.wait_for(lambda m: "on their way" in text_of(m), timeout=20)
        assert not saying(user, RECEIVED)
        assert await shop.balance(1) == 30
    payment = await stored(shop, charge_id)
    assert payment is not None and payment.credited_at is None

    assert shop.app.bot_data.stars is not None
    outcome = await shop.app.bot_data.stars.reconciler.reconcile()
    assert outcome.credited == 1
    await user.wait_for(lambda m: RECEIVED in text_of(m))
    assert await shop.balance(1) == 80 == await shop.ledger_sum(1)
    assert (await shop.app.bot_data.stars.reconciler.reconcile()).credited == 0
    assert len(saying(user, RECEIVED)) == 1


async def test_reconciliation_credits_a_payment_the_bot_never_received_once(
    shop: BotWorld,
) -> None:
    user = await shop.started_user(1)
    await invoice_for(user)
    await user.send_successful_payment(
        shop.emu.calls("sendInvoice")[-1].params["payload"],
        50,
        "charge-lost-1",
        deliver=False,
    )
    assert shop.app.bot_data.stars is not None
    reconcilers = [shop.app.bot_data.stars.reconciler] * 3
    outcomes = await asyncio.gather(*(r.reconcile() for r in reconcilers))  # as 3 processes

    assert sum(outcome.credited for outcome in outcomes) == 1
    await user.wait_for(lambda m: RECEIVED in text_of(m))
    await asyncio.sleep(0.2)
    assert len(saying(user, RECEIVED)) == 1
    assert await shop.balance(1) == 80 == await shop.ledger_sum(1)
    assert [row.idempotency_key for row in await ledger_rows(shop, 1, "purchase")] == [
        "purchase:charge-lost-1"
    ]


async def test_telegram_refund_takes_the_pack_back_once_and_tells_the_user(
    shop: BotWorld,
) -> None:
    user = await shop.started_user(1)
    charge_id = await paid(shop, user)
    await user.wait_for(lambda m: RECEIVED in text_of(m))
    await user.refund_by_telegram(charge_id)
    told = await user.wait_for(lambda m: "was refunded" in text_of(m))

    assert "50 credits were removed" in text_of(told) and "balance: 30" in text_of(told)
    assert not saying(user, "don't understand") and not saying(user, "unsupported")
    assert await shop.balance(1) == 30 == await shop.ledger_sum(1)
    payment = await stored(shop, charge_id)
    assert payment is not None and payment.refunded_at is not None
    assert payment.refund_shortfall == 0

    assert shop.app.bot_data.stars is not None
    assert (await shop.app.bot_data.stars.reconciler.reconcile()).refunded == 0
    assert len(await ledger_rows(shop, 1, "purchase_refund")) == 1
    assert len(saying(user, "was refunded")) == 1


async def test_a_refund_the_bot_missed_is_applied_by_reconciliation_up_to_the_balance(
    shop: BotWorld,
) -> None:
    """Telegram refunded (an admin refund that died halfway): reconciliation takes back what
    is left, records the shortfall, once per charge id."""
    user = await shop.started_user(1)
    charge_id = await paid(shop, user)
    await user.wait_for(lambda m: RECEIVED in text_of(m))
    async with unit_of_work(shop.services.sessions) as session:
        await ledger.charge(session, user_id=1, cost=70, key="spent:test")
    assert await shop.app.bot.refund_star_payment(1, charge_id)

    assert shop.app.bot_data.stars is not None
    outcomes = await asyncio.gather(
        *(shop.app.bot_data.stars.reconciler.reconcile() for _ in range(2))
    )
    assert sum(outcome.refunded for outcome in outcomes) == 1
    told = await user.wait_for(lambda m: "was refunded" in text_of(m))
    assert "10 credits were removed" in text_of(told)
    payment = await stored(shop, charge_id)
    assert payment is not None and payment.refund_shortfall == 40
    assert await shop.balance(1) == 0 == await shop.ledger_sum(1)
