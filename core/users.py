"""User accounts: registration with the once-ever welcome grant, profile and preferences."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from core import ledger
from core.clock import utcnow
from core.db import is_postgres
from core.errors import UnknownUser
from core.models import User

_CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


@dataclass(frozen=True, slots=True, kw_only=True)
class Profile:
    """What the front end knows about a person (from Telegram, in the domain's words)."""

    user_id: int
    first_name: str
    username: str | None = None
    last_name: str | None = None
    language_code: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Registration:
    user: User
    created: bool
    granted: int


def new_referral_code() -> str:
    return "".join(secrets.choice(_CODE_ALPHABET) for _ in range(8))


async def register(
    session: AsyncSession,
    *,
    profile: Profile,
    free_credits: int,
    referral_code: str | None = None,
) -> Registration:
    """Create the account on first contact and grant the welcome credits exactly once."""
    referrer_id = await _referrer_for(session, referral_code, profile.user_id)
    insert = pg_insert if is_postgres(session) else sqlite_insert
    statement = (
        insert(User)
        .values(
            id=profile.user_id,
            **_profile_values(profile),
            credits=0,
            referral_code=new_referral_code(),
            referred_by=referrer_id,
        )
        .on_conflict_do_nothing(index_elements=[User.id])
        .returning(User.id)
    )
    created = (await session.execute(statement)).scalar_one_or_none() is not None
    if not created:
        await update_profile(session, profile=profile)
    granted = 0
    if free_credits > 0 and await ledger.credit(
        session,
        user_id=profile.user_id,
        amount=free_credits,
        kind=ledger.LedgerKind.GRANT,
        key=f"welcome:{profile.user_id}",
        reference="welcome",
    ):
        granted = free_credits
    user = await get(session, profile.user_id)
    return Registration(user=user, created=created, granted=granted)


async def update_profile(session: AsyncSession, *, profile: Profile) -> None:
    await session.execute(
        update(User)
        .where(User.id == profile.user_id)
        .values(**_profile_values(profile), updated_at=utcnow())
    )


def profile_changed(user: User, profile: Profile) -> bool:
    """True when Telegram reports a name or language we have not stored yet."""
    stored = {name: getattr(user, name) for name in _profile_values(profile)}
    return stored != _profile_values(profile)


def language_of(user: User) -> str | None:
    """The language the user chose, else the one their Telegram client reports."""
    return preferred_language(user.language, user.language_code)


def preferred_language(chosen: str | None, client: str | None) -> str | None:
    """`language_of` for the two columns read without the row (e.g. `core.claims`)."""
    return chosen or client


async def get(session: AsyncSession, user_id: int) -> User:
    user = await session.get(User, user_id, populate_existing=True)
    if user is None:
        raise UnknownUser(f"user {user_id} is not registered")
    return user


async def find(session: AsyncSession, user_id: int) -> User | None:
    return await session.get(User, user_id, populate_existing=True)


async def set_style(session: AsyncSession, *, user_id: int, style: str) -> None:
    await session.execute(
        update(User).where(User.id == user_id).values(style=style, updated_at=utcnow())
    )


async def set_language(session: AsyncSession, *, user_id: int, language: str | None) -> None:
    await session.execute(
        update(User).where(User.id == user_id).values(language=language, updated_at=utcnow())
    )


def _profile_values(profile: Profile) -> dict[str, str | None]:
    return {
        "first_name": profile.first_name[:128],
        "username": profile.username,
        "last_name": profile.last_name,
        "language_code": profile.language_code,
    }


async def _referrer_for(
    session: AsyncSession, referral_code: str | None, user_id: int
) -> int | None:
    if not referral_code:
        return None
    referrer = await session.scalar(select(User.id).where(User.referral_code == referral_code))
    if referrer is None or referrer == user_id:
        return None
    return referrer
