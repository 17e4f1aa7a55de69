"""An update the bot fetched is not lost when the process dies before processing it.

python-telegram-bot's Updater confirms a batch on its next getUpdates, processed or not, so a
`kill -9` in between lost the update for good: a paid `successful_payment`, a photo. The bot
now stores every update before asking past it, and a fresh process resumes what was stored
and not finished (after the dead receiver's lease, INBOX_LEASE_SECONDS).
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
from sqlalchemy import select
from sqlalchemy.engine import make_url

from core.models import LedgerEntry, Payment, User
from playground.botapi import BotApiEmulator
from tests.e2e.harness import is_avatar, text_of
from tests.e2e.test_payments import invoice_for
from tests.fakes import images
from tests.robustness.test_crash_recovery import crash_lab
from tests.robustness.userview import avatars, until

INBOX = {"INBOX_LEASE_SECONDS": "2"}
# How long to wait for the next getUpdates when storing is what the lock holds up (SQLite).
PATIENCE_SECONDS = 2.0


def served(emu: BotApiEmulator, update_id: int) -> bool:
    """A getUpdates answer carried the update: the bot has it in memory."""
    for call in emu.calls("getUpdates"):
        result = call.response.get("result")
        if isinstance(result, list) and any(u.get("update_id") == update_id for u in result):
            return True
    return False


def asked_past(emu: BotApiEmulator, update_id: int) -> bool:
    """A later getUpdates confirmed it: Telegram will not send it again."""
    return any(int(c.params.get("offset") or 0) > update_id for c in emu.calls("getUpdates"))


async def served_and_confirmed(emu: BotApiEmulator, update_id: int) -> None:
    await until(lambda: served(emu, update_id), timeout=20)
    with contextlib.suppress(TimeoutError):  # a bot that stores first may not ask yet
        await until(lambda: asked_past(emu, update_id), timeout=PATIENCE_SECONDS)


@contextlib.asynccontextmanager
async def payments_locked(database_url: str) -> AsyncIterator[None]:
    """Hold up every write to `payments` (on SQLite: every transaction), as a slow or busy
    database would, so the process is still crediting when it is killed."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        lite = sqlite3.connect(str(url.database), isolation_level=None)
        lite.execute("BEGIN EXCLUSIVE")
        try:
            yield
        finally:
            lite.execute("ROLLBACK")
            lite.close()
        return
    dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(dsn)
    transaction = connection.transaction()
    await transaction.start()
    try:
        await connection.execute("LOCK TABLE payments IN ACCESS EXCLUSIVE MODE")
        yield
    finally:
        await transaction.rollback()
        await connection.close()


async def test_a_payment_fetched_then_killed_before_crediting_is_credited_after_restart(
    database_url: str, tmp_path: Path
) -> None:
    async with crash_lab(database_url, tmp_path) as lab:
        await lab.start_bot(**INBOX)
        ada = await lab.started_user()
        await invoice_for(ada)
        payload = lab.emu.calls("sendInvoice")[-1].params["payload"]

        async with payments_locked(database_url):
            await ada.send_successful_payment(payload, 50, "stxCRASHED0001")
            update_id = lab.emu.update_ids("message")[-1]
            await served_and_confirmed(lab.emu, update_id)
            await lab.crash()

        await lab.start_bot(**INBOX)
        done = await ada.wait_for(lambda m: "Payment received" in text_of(m), timeout=30)
        assert lab.bot is not None
        await lab.bot.stop()
        async with lab._session() as session:
            purchases = list(
                await session.scalars(select(LedgerEntry).where(LedgerEntry.kind == "purchase"))
            )
            entries = list(await session.scalars(select(LedgerEntry.delta)))
            balance = await session.scalar(select(User.credits).where(User.id == 1))
            charges = list(await session.scalars(select(Payment.charge_id)))

    assert "+50 credits" in text_of(done) and "Balance: 80" in text_of(done)
    assert [p.idempotency_key for p in purchases] == ["purchase:stxCRASHED0001"]
    assert charges == ["stxCRASHED0001"]
    assert balance == 80 == sum(entries)


async def test_a_photo_fetched_then_killed_before_processing_gets_its_avatar_after_restart(
    database_url: str, tmp_path: Path
) -> None:
    async with crash_lab(database_url, tmp_path) as lab:
        await lab.start_bot(**INBOX)
        ada = await lab.started_user()
        await ada.send_photo(images.jpeg())
        update_id = lab.emu.update_ids("message")[-1]
        frozen = lab.emu.hold_after_update(update_id)  # the bot has it, cannot act on it

        await frozen.arrived()
        await until(lambda: asked_past(lab.emu, update_id))
        await lab.crash()
        frozen.discard()  # its parked request died with the process

        await lab.start_bot(**INBOX)
        await ada.wait_for(is_avatar, since=0, timeout=30)
        ending = await lab.ending()

    assert (ending.status, ending.ledger) == ("completed", ["charge"])
    assert ending.balance_matches_ledger
    assert len(avatars(ada)) == 1
    assert len(lab.model.requests) == 1
