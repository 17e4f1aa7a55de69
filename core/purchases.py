"""A Stars payment's life in our database: received → credited → (maybe) refunded.

Receiving stores the payment row in its own transaction before anything else is tried, so a
crediting transaction that fails (or a crash right after) leaves a row that says "paid, not yet
credited" for the retry, for reconciliation and for the admin. Crediting and refunding lock that
row and are each keyed once per charge id in the ledger (`purchase:<id>`,
`purchase_refund:<id>`), whoever gets there first: the `successful_payment` handler, the
`refunded_payment` handler, reconciliation with Telegram's Stars history, or an admin.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from core import ledger, payments, users
from core.clock import utcnow
from core.db import is_postgres
from core.models import Payment


def purchase_key(charge_id: str) -> str:
    return f"purchase:{charge_id}"


def refund_key(charge_id: str) -> str:
    """The one key a refund of this charge takes, by Telegram or by an admin."""
    return f"purchase_refund:{charge_id}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Received:
    """A paid invoice as Telegram reports it (message or Stars history)."""

    charge_id: str
    payer_id: int
    payload: str
    stars: int
    claim: payments.Claim


async def record(session: AsyncSession, received: Received) -> bool:
    """Store the payment (and, if need be, its payer); False when it was stored already."""
    if await users.find(session, received.payer_id) is None:  # a payer we lost track of
        profile = users.Profile(user_id=received.payer_id, first_name="")
        await users.register(session, profile=profile, free_credits=0)
    insert = pg_insert if is_postgres(session) else sqlite_insert
    statement = (
        insert(Payment)
        .values(
            charge_id=received.charge_id,
            user_id=received.payer_id,
            pack_id=received.claim.pack_id,
            credits=received.claim.credits,
            stars=received.stars,
            payload=received.payload,
        )
        .on_conflict_do_nothing(index_elements=[Payment.charge_id])
        .returning(Payment.id)
    )
    return (await session.execute(statement)).scalar_one_or_none() is not None


async def _locked(session: AsyncSession, charge_id: str) -> Payment | None:
    return await session.scalar(
        select(Payment).where(Payment.charge_id == charge_id).with_for_update()
    )


async def credit(session: AsyncSession, charge_id: str) -> payments.Purchase | None:
    """Credit a stored payment's pack once; `credited=False` when it already was (or was
    refunded before it could be); None for a charge we never stored."""
    payment = await _locked(session, charge_id)
    if payment is None:
        return None
    credited = False
    if payment.credited_at is None and payment.refunded_at is None:
        credited = await ledger.credit(
            session,
            user_id=payment.user_id,
            amount=payment.credits,
            kind=ledger.LedgerKind.PURCHASE,
            key=purchase_key(charge_id),
            reference=payment.pack_id,
        )
        payment.credited_at = utcnow()
    balance = await ledger.balance(session, payment.user_id)
    return payments.Purchase(credited=credited, credits=payment.credits, balance=balance)


async def refund(session: AsyncSession, charge_id: str) -> payments.Refund | None:
    """Take a stored payment's pack back once, never below zero (the rest is recorded as the
    shortfall); None when it was refunded already. A payment refunded before it was credited
    takes nothing and is never credited afterwards."""
    payment = await _locked(session, charge_id)
    if payment is None or payment.refunded_at is not None:
        return None
    taken = 0
    if payment.credited_at is not None:
        taken = (
            await ledger.debit_up_to(
                session,
                user_id=payment.user_id,
                amount=payment.credits,
                kind=ledger.LedgerKind.PURCHASE_REFUND,
                key=refund_key(charge_id),
                reference=payment.pack_id,
            )
            or 0
        )
        payment.refund_shortfall = payment.credits - taken
    payment.refunded_at = utcnow()
    balance = await ledger.balance(session, payment.user_id)
    return payments.Refund(
        user_id=payment.user_id,
        stars=payment.stars,
        credits=payment.credits,
        taken=taken,
        balance=balance,
    )


async def uncredited(session: AsyncSession, *, limit: int = 100) -> list[str]:
    """Charge ids stored but neither credited nor refunded (a crediting that never committed)."""
    rows = await session.scalars(
        select(Payment.charge_id)
        .where(Payment.credited_at.is_(None), Payment.refunded_at.is_(None))
        .order_by(Payment.id)
        .limit(limit)
    )
    return list(rows)


async def known(session: AsyncSession, charge_ids: list[str]) -> dict[str, Payment]:
    """The stored payments among these charge ids."""
    if not charge_ids:
        return {}
    rows = await session.scalars(select(Payment).where(Payment.charge_id.in_(charge_ids)))
    return {payment.charge_id: payment for payment in rows}


async def untold(session: AsyncSession, *, limit: int = 100) -> list[Payment]:
    """Credited payments whose buyer was never told (the notice failed, or the process died
    between the credit and the notice)."""
    rows = await session.scalars(
        select(Payment)
        .where(
            Payment.credited_at.is_not(None),
            Payment.notified_at.is_(None),
            Payment.refunded_at.is_(None),
        )
        .order_by(Payment.id)
        .limit(limit)
    )
    return list(rows)


async def mark_told(session: AsyncSession, charge_id: str) -> bool:
    """Record that the buyer was told; False when someone already had (a claim: whoever
    marks first sends)."""
    result = await session.execute(
        update(Payment)
        .where(Payment.charge_id == charge_id, Payment.notified_at.is_(None))
        .values(notified_at=utcnow())
    )
    return bool(getattr(result, "rowcount", 0))


async def unmark_told(session: AsyncSession, charge_id: str) -> None:
    await session.execute(
        update(Payment).where(Payment.charge_id == charge_id).values(notified_at=None)
    )
