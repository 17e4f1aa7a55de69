"""The two flows the sweep drives (photo → avatar, a Stars purchase) and how each may end.

An outcome is what the user and the books show after recovery. Acceptable endings:
photo — `delivered` (one avatar, charged once, no refund) or `refunded` (no avatar, charged
and refunded once, told) or `declined` (refused at intake and told, nothing charged); when the
process died between Telegram taking the avatar and the row recording it, `delivered twice`
(the one re-send is labelled as such; charged once); `maybe delivered` (the re-send was cut off
as well: no third copy, completed unconfirmed, never refunded, told it is in the gallery);
purchase — `credited` (credited once, told once; told twice only when the process died
between the notice and recording it) or `not paid` (checkout never completed,
nothing charged). Anything else is `BROKEN: …`, with what was seen.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.models import Generation, LedgerEntry, Payment, User
from core.telegram_tables import TelegramUpdate
from playground.botapi import FakeUser
from tests.e2e.harness import is_avatar, text_of
from tests.fakes import images

JsonDict = dict[str, Any]
ACTIVE = ("queued", "running")
RECEIVED = "Payment received"
WORKING = "Creating your superhero"  # the status message, edited into the outcome
RESENT = "Sent again after a restart"  # the one re-send of a send a crash cut off
IN_DOUBT = "cut off by a restart"  # the re-send was cut off too: no third copy, told


@dataclass
class Books:
    """What the database says about one user, read by the test's own connection."""

    balance: int
    ledger: list[tuple[str, int]]  # (kind, delta)
    generations: list[Generation]
    payments: list[Payment]
    open_updates: int  # inbox rows still pending

    def kind(self, kind: str) -> int:
        return sum(1 for entry_kind, _ in self.ledger if entry_kind == kind)


async def books(sessions: async_sessionmaker[AsyncSession], user_id: int) -> Books:
    async with sessions() as session:
        balance = await session.scalar(select(User.credits).where(User.id == user_id)) or 0
        ledger = await session.execute(
            select(LedgerEntry.kind, LedgerEntry.delta).where(LedgerEntry.user_id == user_id)
        )
        gens = await session.scalars(select(Generation).where(Generation.user_id == user_id))
        paid = await session.scalars(select(Payment).where(Payment.user_id == user_id))
        open_updates = await session.scalar(
            select(func.count())
            .select_from(TelegramUpdate)
            .where(TelegramUpdate.status == "pending")
        )
        return Books(
            balance,
            [(kind, delta) for kind, delta in ledger],
            list(gens),
            list(paid),
            int(open_updates or 0),
        )


def invariants(books: Books, blob_keys: set[str]) -> list[str]:
    """What must hold after recovery whatever the flow: the books balance, nothing is left
    queued or running, every blob has its row."""
    problems = []
    if books.balance != sum(delta for _, delta in books.ledger):
        problems.append(f"balance {books.balance} != Σledger")
    if any(gen.status in ACTIVE for gen in books.generations):
        problems.append("a job left " + ",".join(gen.status for gen in books.generations))
    if books.open_updates:
        problems.append(f"{books.open_updates} updates left in the inbox")
    rows = {key for gen in books.generations for key in (gen.original_key, gen.result_key) if key}
    if orphans := blob_keys - rows:
        problems.append(f"blobs without a row: {sorted(orphans)}")
    return problems


async def send_photo(user: FakeUser) -> None:
    await user.send_photo(images.jpeg(640, 480))


def photo_settled(user: FakeUser, books: Books) -> bool:
    """The flow has ended for the user: an avatar, or a message after the photo, and no job."""
    if any(gen.status in ACTIVE for gen in books.generations):
        return False
    if any(is_avatar(m) for m in user.messages):
        return True
    return any(WORKING not in text for text in _after_photo(user))


def _after_photo(user: FakeUser) -> list[str]:
    """The bot's texts since the photo (the status message is edited into the outcome)."""
    return [text_of(m) for m in user.messages if "Welcome" not in text_of(m)]


def photo_outcome(user: FakeUser, books: Books) -> str:
    avatars = sum(1 for m in user.messages if is_avatar(m))
    charges, refunds = books.kind("charge"), books.kind("refund")
    told = any("refunded" in text for text in _after_photo(user))
    statuses = ",".join(gen.status for gen in books.generations)
    if avatars == 1 and charges == 1 and refunds == 0 and statuses == "completed":
        return "delivered"
    copies = [text_of(m) for m in user.messages if is_avatar(m)]
    labelled = len(copies) == 2 and RESENT not in copies[0] and RESENT in copies[1]
    if labelled and charges == 1 and refunds == 0 and statuses == "completed":
        return "delivered twice: the re-send after the crash is labelled"
    in_doubt = [gen.delivery for gen in books.generations] == ["unconfirmed"]
    told_in_doubt = any(IN_DOUBT in text for text in _after_photo(user))
    if avatars == 0 and charges == 1 and refunds == 0 and in_doubt and told_in_doubt:
        return "maybe delivered: not re-sent, told it is in the gallery"
    if avatars == 0 and charges == 1 and refunds == 1 and told and statuses == "failed":
        return "refunded"
    if avatars == 0 and charges == 0 and not books.generations and _after_photo(user):
        return "declined"
    return (
        f"BROKEN: avatars={avatars} charges={charges} refunds={refunds} told={told} "
        f"jobs={statuses or '-'} said={_after_photo(user)[-2:]}"
    )


def purchase_settled(user: FakeUser, books: Books, paying_done: bool) -> bool:
    told = any(RECEIVED in text_of(m) for m in user.messages)
    return paying_done and (told or not books.payments) and not books.open_updates


def purchase_outcome(user: FakeUser, books: Books, charged: list[str]) -> str:
    """`charged`: the charge ids Telegram took Stars for (its Stars history)."""
    told = sum(1 for m in user.messages if RECEIVED in text_of(m))
    credited = books.kind("purchase")
    if not charged:
        if credited == 0 and not books.payments:
            return "not paid"
        return f"BROKEN: credited {credited} without a charge"
    ok_rows = [p for p in books.payments if p.credited_at is not None and p.refunded_at is None]
    if credited == 1 and told in (1, 2) and len(ok_rows) == 1 and books.balance == 80:
        return "credited" if told == 1 else "credited (told twice)"
    return f"BROKEN: charged={len(charged)} credited={credited} told={told} rows={len(ok_rows)}"
