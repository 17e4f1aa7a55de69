"""The only code that moves credits.

Every movement is one ledger row with a unique idempotency key plus an update of the cached
balance in the same transaction, so `users.credits == sum(credit_ledger.delta)` always holds
and a replayed grant, refund or purchase finds its key taken and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import is_postgres
from core.errors import InsufficientCredits, UnknownUser
from core.models import LedgerEntry, User


class LedgerKind(StrEnum):
    """What moved credits; stored in `credit_ledger.kind` and named in the user's history."""

    GRANT = "grant"
    CHARGE = "charge"
    REFUND = "refund"
    PURCHASE = "purchase"
    ADMIN = "admin"
    REFERRAL = "referral"
    PURCHASE_REFUND = "purchase_refund"


@dataclass(frozen=True, slots=True, kw_only=True)
class LedgerLine:
    delta: int
    kind: str
    reference: str | None
    created_at: datetime


async def credit(
    session: AsyncSession,
    *,
    user_id: int,
    amount: int,
    kind: str,
    key: str,
    reference: str | None = None,
) -> bool:
    """Add credits once per key; False when the key was already used (a replay)."""
    if amount < 0:
        raise ValueError("credit takes a non-negative amount; use charge or debit_up_to")
    if not await _insert_entry(session, user_id, amount, kind, key, reference):
        return False
    await session.execute(
        update(User).where(User.id == user_id).values(credits=User.credits + amount)
    )
    return True


async def charge(
    session: AsyncSession, *, user_id: int, cost: int, key: str, reference: str | None = None
) -> int:
    """Take `cost` credits in one conditional update; returns the new balance.

    The `credits >= cost` condition is evaluated by the database under the row lock, so
    concurrent charges can never overdraw: the losers see no row and get InsufficientCredits.
    """
    result = await session.execute(
        update(User)
        .where(User.id == user_id, User.credits >= cost)
        .values(credits=User.credits - cost)
        .returning(User.credits)
    )
    new_balance = result.scalar_one_or_none()
    if new_balance is None:
        current = await balance(session, user_id)
        raise InsufficientCredits(balance=current, cost=cost)
    if not await _insert_entry(session, user_id, -cost, LedgerKind.CHARGE, key, reference):
        raise RuntimeError(f"charge key {key} reused")  # a programming error: keys are fresh ids
    return new_balance


async def debit_up_to(
    session: AsyncSession,
    *,
    user_id: int,
    amount: int,
    kind: str,
    key: str,
    reference: str | None = None,
) -> int | None:
    """Take back up to `amount` without going below zero; None when the key was used."""
    if await _key_used(session, key):
        return None
    row = await session.execute(select(User.credits).where(User.id == user_id).with_for_update())
    current = row.scalar_one_or_none()
    if current is None:
        raise UnknownUser(f"user {user_id} is not registered")
    taken = min(current, amount)
    if not await _insert_entry(session, user_id, -taken, kind, key, reference):
        return None
    await session.execute(
        update(User).where(User.id == user_id).values(credits=User.credits - taken)
    )
    return taken


async def balance(session: AsyncSession, user_id: int) -> int:
    value = await session.scalar(select(User.credits).where(User.id == user_id))
    if value is None:
        raise UnknownUser(f"user {user_id} is not registered")
    return value


async def ledger_sum(session: AsyncSession, user_id: int) -> int:
    total = await session.scalar(
        select(func.coalesce(func.sum(LedgerEntry.delta), 0)).where(LedgerEntry.user_id == user_id)
    )
    return int(total or 0)


async def history(session: AsyncSession, user_id: int, *, limit: int = 10) -> list[LedgerLine]:
    rows = await session.scalars(
        select(LedgerEntry)
        .where(LedgerEntry.user_id == user_id)
        .order_by(LedgerEntry.created_at.desc(), LedgerEntry.id.desc())
        .limit(limit)
    )
    return [
        LedgerLine(delta=e.delta, kind=e.kind, reference=e.reference, created_at=e.created_at)
        for e in rows
    ]


async def key_used(session: AsyncSession, key: str) -> bool:
    """Whether an entry with this key exists (e.g. a charge to refund)."""
    return await _key_used(session, key)


async def _key_used(session: AsyncSession, key: str) -> bool:
    found = await session.scalar(select(LedgerEntry.id).where(LedgerEntry.idempotency_key == key))
    return found is not None


async def _insert_entry(
    session: AsyncSession,
    user_id: int,
    delta: int,
    kind: str,
    key: str,
    reference: str | None,
) -> bool:
    """Insert a ledger row unless its key exists; True when this call inserted it."""
    insert = pg_insert if is_postgres(session) else sqlite_insert
    statement = (
        insert(LedgerEntry)
        .values(user_id=user_id, delta=delta, kind=kind, idempotency_key=key, reference=reference)
        .on_conflict_do_nothing(index_elements=[LedgerEntry.idempotency_key])
        .returning(LedgerEntry.id)
    )
    inserted = (await session.execute(statement)).scalar_one_or_none()
    return inserted is not None
