"""Referrals: the inviter earns a bonus when the invited user's first avatar is delivered.

Paying on the first avatar, not on sign-up, means a bonus needs a real new user who used the
product. The bonus is keyed `referral:<referred user id>`, so it is paid once ever per invited
user, even when their avatars complete concurrently or are deleted and made again.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import ledger, users
from core.models import Generation, GenerationStatus, LedgerEntry, User


@dataclass(frozen=True, slots=True, kw_only=True)
class ReferralReward:
    """A bonus just paid: enough for the bot to tell the referrer."""

    referrer_id: int
    referred_name: str
    bonus: int
    balance: int
    language: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class InviteSummary:
    referral_code: str
    invited: int
    earned: int
    bonus: int  # what each invited friend's first avatar pays


async def reward_on_first_avatar(
    session: AsyncSession, *, user_id: int, bonus: int
) -> ReferralReward | None:
    """Call in the transaction that completes the avatar; pays the referrer at most once."""
    if bonus <= 0:
        return None
    referred = await session.get(User, user_id, populate_existing=True)
    if referred is None or referred.referred_by is None or referred.referred_by == user_id:
        return None
    completed = await session.scalar(
        select(func.count())
        .select_from(Generation)
        .where(Generation.user_id == user_id, Generation.status == GenerationStatus.COMPLETED)
    )
    if completed != 1:
        return None
    referrer_id = referred.referred_by
    if not await ledger.credit(
        session,
        user_id=referrer_id,
        amount=bonus,
        kind=ledger.LedgerKind.REFERRAL,
        key=f"referral:{user_id}",
        reference=str(user_id),
    ):
        return None
    referrer = await users.get(session, referrer_id)
    return ReferralReward(
        referrer_id=referrer_id,
        referred_name=referred.first_name,
        bonus=bonus,
        balance=referrer.credits,
        language=users.language_of(referrer),
    )


async def summary(session: AsyncSession, *, user_id: int, bonus: int) -> InviteSummary:
    user = await users.get(session, user_id)
    invited = await session.scalar(
        select(func.count()).select_from(User).where(User.referred_by == user_id)
    )
    earned = await session.scalar(
        select(func.coalesce(func.sum(LedgerEntry.delta), 0)).where(
            LedgerEntry.user_id == user_id, LedgerEntry.kind == ledger.LedgerKind.REFERRAL
        )
    )
    return InviteSummary(
        referral_code=user.referral_code,
        invited=int(invited or 0),
        earned=int(earned or 0),
        bonus=bonus,
    )
