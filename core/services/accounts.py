"""Accounts: who is asking (registered on first contact), their language, style and credits.

`resolve` is called once per update by the bot's per-update step: one statement reads the
account (`core.db.single_statement`: on PostgreSQL without BEGIN and COMMIT), and only when
there is something to write (the account to create, with the welcome grant, once ever, when
the update opens one; a profile Telegram reports changed; a user back after blocking the bot)
does a short transaction read it again and write. For a photo the read also brings what
admitting the photo needs (`SubmissionFacts`), so a photo costs no transaction of its own
before its download.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core import broadcasts, gallery, generations, ledger, users
from core.db import single_statement, unit_of_work
from core.errors import NotFound
from core.events import JobEvents
from core.generations import SubmissionFacts
from core.models import User
from core.styles import STYLES


@dataclass(frozen=True, slots=True, kw_only=True)
class Pricing:
    """What an avatar costs and the per-user limits, as the user is told them."""

    generation_cost: int
    free_credits: int
    max_active_per_user: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Account:
    user_id: int
    first_name: str
    language: str | None  # chosen, else the Telegram client's; None when neither is known
    style: str
    balance: int
    affordable: int  # avatars the balance pays for
    created: bool  # registered by this very update
    # For an update carrying a photo (`resolve(photo=...)`): read with the account.
    photo: SubmissionFacts | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CreditStatement:
    """/credits: balance, cost, avatars made, the last one's date and recent ledger lines."""

    balance: int
    cost: int
    avatars: int
    last_created: datetime | None
    recent: list[ledger.LedgerLine]


class AccountService:
    def __init__(
        self, *, sessions: async_sessionmaker[AsyncSession], pricing: Pricing, events: JobEvents
    ) -> None:
        self._sessions = sessions
        self.pricing = pricing
        self._events = events

    async def resolve(
        self,
        profile: users.Profile,
        *,
        register: bool,
        referral_code: str | None = None,
        present: bool = False,
        photo: tuple[int, int] | None = None,
    ) -> Account | None:
        """The asking user's account; created when unknown and `register`, else None.

        `present`: the user wrote or pressed in the private chat, so they have not blocked the
        bot (any more): later broadcasts include them again. `photo`: the (chat id, message
        id) of a photo this update submits; its `SubmissionFacts` come with the account.
        """
        async with single_statement(self._sessions) as session:  # nearly always all it takes
            found, facts = await _user_and_facts(session, profile.user_id, photo)
        if found is None and not register:
            return None
        if found is not None and not _to_write(found, profile, present=present):
            return self._account(found, created=False, photo=facts)
        async with unit_of_work(self._sessions) as session:  # read again, with the writes
            found, facts = await _user_and_facts(session, profile.user_id, photo)
            if found is not None:
                if users.profile_changed(found, profile):
                    await users.update_profile(session, profile=profile)
                if present and found.blocked_at is not None:
                    await broadcasts.clear_user_blocked(session, profile.user_id)
                return self._account(found, created=False, photo=facts)
            if not register:
                return None
            registration = await users.register(
                session,
                profile=profile,
                free_credits=self.pricing.free_credits,
                referral_code=referral_code,
            )
            facts = await _photo_facts(session, registration.user.id, photo)
        if registration.granted:
            self._events.credits_moved(ledger.LedgerKind.GRANT, registration.granted)
        return self._account(registration.user, created=registration.created, photo=facts)

    async def find(self, user_id: int) -> Account | None:
        async with unit_of_work(self._sessions) as session:
            found = await users.find(session, user_id)
            return self._account(found, created=False) if found else None

    async def language_of(self, user_id: int) -> str | None:
        """Someone else's language (an admin, a user told of a grant); None when unknown."""
        account = await self.find(user_id)
        return account.language if account else None

    async def set_style(self, user_id: int, style: str) -> None:
        if style not in STYLES:
            raise NotFound(f"no style {style!r}")
        async with unit_of_work(self._sessions) as session:
            await users.set_style(session, user_id=user_id, style=style)

    async def set_language(self, user_id: int, language: str | None) -> None:
        async with unit_of_work(self._sessions) as session:
            await users.set_language(session, user_id=user_id, language=language)

    async def statement(self, user_id: int, *, recent: int = 5) -> CreditStatement:
        async with unit_of_work(self._sessions) as session:
            return CreditStatement(
                balance=await ledger.balance(session, user_id),
                cost=self.pricing.generation_cost,
                avatars=await gallery.count_completed(session, user_id),
                last_created=await gallery.last_completed_at(session, user_id),
                recent=await ledger.history(session, user_id, limit=recent),
            )

    def _account(
        self, row: User, *, created: bool, photo: SubmissionFacts | None = None
    ) -> Account:
        return Account(
            user_id=row.id,
            first_name=row.first_name,
            language=users.language_of(row),
            style=row.style,
            balance=row.credits,
            affordable=row.credits // self.pricing.generation_cost,
            created=created,
            photo=photo,
        )


def _to_write(found: User, profile: users.Profile, *, present: bool) -> bool:
    """Whether resolving this account changes its row (a new name, back from having blocked us)."""
    return users.profile_changed(found, profile) or (present and found.blocked_at is not None)


async def _user_and_facts(
    session: AsyncSession, user_id: int, photo: tuple[int, int] | None
) -> tuple[User | None, SubmissionFacts | None]:
    """The user's row and, for a photo, its `SubmissionFacts`, in one statement: the account
    of every photo is read on the way to its download."""
    if photo is None:
        return await users.find(session, user_id), None
    chat_id, message_id = photo
    columns = generations.submission_fact_columns(
        user_id=user_id, chat_id=chat_id, source_message_id=message_id
    )
    query = select(User, *columns).where(User.id == user_id)
    row = (await session.execute(query.execution_options(populate_existing=True))).first()
    if row is None:
        return None, None
    return row[0], SubmissionFacts.of(row[1], row[2])


async def _photo_facts(
    session: AsyncSession, user_id: int, photo: tuple[int, int] | None
) -> SubmissionFacts | None:
    if photo is None:
        return None
    chat_id, message_id = photo
    return await generations.submission_facts(
        session, user_id=user_id, chat_id=chat_id, source_message_id=message_id
    )
