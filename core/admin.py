"""What operators ask of the system: grants, the numbers (/stats) and one user's story (/user).

Grants go through the ledger like every other movement, keyed by the admin's command message
so a redelivered command grants nothing more.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import ledger, users
from core.models import Generation, GenerationStatus, LedgerEntry, Payment, User


@dataclass(frozen=True, slots=True, kw_only=True)
class Stats:
    users: int
    new_users: int
    avatars: int
    failures: dict[str, int]
    generation_refunds: int
    purchases: int
    payment_refunds: int
    stars_earned: int
    stars_refunded: int
    model_spend: float
    models: dict[str, int]  # completed avatars per model that answered, most used first


@dataclass(frozen=True, slots=True, kw_only=True)
class Grant:
    granted: bool  # False: this command was already applied (a redelivered update)
    balance: int
    name: str  # the receiver's first name, to confirm who got it
    language: str | None  # the receiver's, to tell them


async def collect_stats(session: AsyncSession, *, since: datetime) -> Stats:
    """Totals over all time; `new_users` counts accounts created at or after `since`."""
    user_count = await session.scalar(select(func.count()).select_from(User))
    new_users = await session.scalar(
        select(func.count()).select_from(User).where(User.created_at >= since)
    )
    avatars = await session.scalar(
        select(func.count())
        .select_from(Generation)
        .where(Generation.status == GenerationStatus.COMPLETED)
    )
    failures = await session.execute(
        select(Generation.error_code, func.count())
        .where(Generation.status == GenerationStatus.FAILED)
        .group_by(Generation.error_code)
        .order_by(func.count().desc())
    )
    generation_refunds = await session.scalar(
        select(func.count())
        .select_from(LedgerEntry)
        .where(LedgerEntry.kind == ledger.LedgerKind.REFUND)
    )
    paid = await session.execute(
        select(
            func.count(),
            func.count(Payment.refunded_at),
            func.coalesce(func.sum(Payment.stars), 0),
        ).select_from(Payment)
    )
    purchases, refunded, stars_paid = paid.one()
    stars_refunded = await session.scalar(
        select(func.coalesce(func.sum(Payment.stars), 0)).where(Payment.refunded_at.is_not(None))
    )
    spend = await session.scalar(select(func.coalesce(func.sum(Generation.model_cost), 0.0)))
    per_model = await session.execute(
        select(Generation.model, func.count())
        .where(Generation.status == GenerationStatus.COMPLETED)
        .group_by(Generation.model)
        .order_by(func.count().desc(), Generation.model)
    )
    return Stats(
        users=int(user_count or 0),
        new_users=int(new_users or 0),
        avatars=int(avatars or 0),
        failures={code or "unknown": int(count) for code, count in failures.all()},
        generation_refunds=int(generation_refunds or 0),
        purchases=int(purchases or 0),
        payment_refunds=int(refunded or 0),
        stars_earned=int(stars_paid or 0) - int(stars_refunded or 0),
        stars_refunded=int(stars_refunded or 0),
        model_spend=float(spend or 0.0),
        models={model or "unknown": int(count) for model, count in per_model.all()},
    )


async def recent_generations(
    session: AsyncSession, *, user_id: int, limit: int
) -> list[Generation]:
    rows = await session.scalars(
        select(Generation)
        .where(Generation.user_id == user_id)
        .order_by(Generation.created_at.desc(), Generation.id.desc())
        .limit(limit)
    )
    return list(rows)


async def grant_credits(
    session: AsyncSession, *, user_id: int, amount: int, key: str, reason: str | None
) -> Grant:
    """UnknownUser for an id that never used the bot."""
    user = await users.get(session, user_id)
    granted = await ledger.credit(
        session,
        user_id=user_id,
        amount=amount,
        kind=ledger.LedgerKind.ADMIN,
        key=key,
        reference=(reason or "")[:128] or None,
    )
    return Grant(
        granted=granted,
        balance=await ledger.balance(session, user_id),
        name=user.first_name,
        language=users.language_of(user),
    )
