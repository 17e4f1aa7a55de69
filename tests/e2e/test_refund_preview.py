"""/refund shows a preview (Stars back, credits taken back, shortfall) and refunds only on an
admin's Confirm, once however often it is pressed (docs/product.md §2)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import select

from core.db import unit_of_work
from core.models import Payment
from tests.e2e.harness import bot_world, buttons, text_of
from tests.e2e.test_payments import ADMIN, invoice_for


async def test_a_refund_of_a_spent_pack_previews_the_shortfall_and_waits_for_confirm(
    database_url: str, tmp_path: Path
) -> None:
    async with bot_world(database_url, tmp_path, admin_user_ids=[ADMIN], free_credits=0) as world:
        user = await world.started_user(1)
        admin = world.user(ADMIN, language_code="ru")  # the admin reads Russian
        await admin.send_text("/start")
        await admin.wait_for(lambda m: "AIVenger" in text_of(m))
        await user.pay(await invoice_for(user))
        await user.wait_for(lambda m: "Payment received" in text_of(m))
        for _ in range(4):
            await world.avatar_after_photo(user)
        assert await world.balance(1) == 10
        charge_id = user.last_payment["successful_payment"]["telegram_payment_charge_id"]  # type: ignore[index]

        await admin.send_text(f"/refund {charge_id}")
        preview = await admin.wait_for(lambda m: "Предпросмотр возврата" in text_of(m))
        assert world.emu.refunds == []  # nothing irreversible yet
        assert "50 ⭐" in text_of(preview) and "10 из 50" in text_of(preview)
        assert "Недостача: 40" in text_of(preview)
        confirm = buttons(preview)["Подтвердить возврат"]

        forged = await user.press(preview, confirm)  # a non-admin presses the admin's button
        await world.emu.wait_callback_answered(forged)
        assert world.emu.refunds == [] and await world.balance(1) == 10

        presses = [await admin.press(preview, confirm) for _ in range(2)]
        for query_id in presses:
            await world.emu.wait_callback_answered(query_id)
        await user.wait_for(lambda m: "was refunded" in text_of(m), since=0)
        await asyncio.sleep(0.5)

        assert world.emu.refunds == [{"user_id": 1, "telegram_payment_charge_id": charge_id}]
        assert await world.balance(1) == 0 == await world.ledger_sum(1)
        async with unit_of_work(world.services.sessions) as session:
            payment = await session.scalar(select(Payment).where(Payment.charge_id == charge_id))
        assert payment is not None and payment.refund_shortfall == 40
        (outcome,) = [m for m in admin.messages if m["message_id"] == preview["message_id"]]
        assert "Недостача записана: 40" in text_of(outcome)
        assert not outcome.get("reply_markup")


async def test_cancel_leaves_the_payment_alone(database_url: str, tmp_path: Path) -> None:
    async with bot_world(database_url, tmp_path, admin_user_ids=[ADMIN]) as world:
        user = await world.started_user(1)
        admin = await world.started_user(ADMIN)
        await user.pay(await invoice_for(user))
        await user.wait_for(lambda m: "Payment received" in text_of(m))
        charge_id = user.last_payment["successful_payment"]["telegram_payment_charge_id"]  # type: ignore[index]

        await admin.send_text(f"/refund {charge_id}")
        preview = await admin.wait_for(lambda m: "Refund preview" in text_of(m))
        assert "Shortfall" not in text_of(preview)
        await admin.press(preview, buttons(preview)["Cancel"])
        await admin.wait_for(lambda m: "cancelled" in text_of(m))

        assert world.emu.refunds == [] and await world.balance(1) == 80
