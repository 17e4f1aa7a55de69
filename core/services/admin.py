"""What operators may do: who they are, the numbers, one user's story, and grants."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core import admin, ledger, users
from core.admin import Grant, Stats
from core.db import unit_of_work
from core.events import JobEvents


@dataclass(frozen=True, slots=True, kw_only=True)
class GenerationLine:
    generation_id: str
    status: str
    style: str
    created_at: datetime
    error_code: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class UserReport:
    user_id: int
    first_name: str
    username: str | None
    joined: datetime
    language: str | None
    style: str
    balance: int
    ledger: list[ledger.LedgerLine]
    generations: list[GenerationLine]


class AdminService:
    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        admin_ids: Sequence[int],
        events: JobEvents,
    ) -> None:
        self._sessions = sessions
        self.admin_ids = tuple(admin_ids)
        self._events = events

    def is_admin(self, user_id: int) -> bool:
        return user_id in self.admin_ids

    async def stats(self, *, since: datetime) -> Stats:
        async with unit_of_work(self._sessions) as session:
            return await admin.collect_stats(session, since=since)

    async def user_report(self, user_id: int, *, recent: int = 5) -> UserReport | None:
        async with unit_of_work(self._sessions) as session:
            user = await users.find(session, user_id)
            if user is None:
                return None
            rows = await admin.recent_generations(session, user_id=user_id, limit=recent)
            return UserReport(
                user_id=user.id,
                first_name=user.first_name,
                username=user.username,
                joined=user.created_at,
                language=users.language_of(user),
                style=user.style,
                balance=user.credits,
                ledger=await ledger.history(session, user_id, limit=recent),
                generations=[
                    GenerationLine(
                        generation_id=row.id,
                        status=row.status,
                        style=row.style,
                        created_at=row.created_at,
                        error_code=row.error_code,
                    )
                    for row in rows
                ],
            )

    async def grant(
        self, *, user_id: int, amount: int, reason: str | None, command: tuple[int, int]
    ) -> Grant:
        """Once per admin command message (`command` = its chat and message id), even when
        Telegram delivers the command twice; UnknownUser for an id that never used the bot."""
        chat_id, message_id = command
        async with unit_of_work(self._sessions) as session:
            grant = await admin.grant_credits(
                session,
                user_id=user_id,
                amount=amount,
                key=f"admin:{chat_id}:{message_id}",
                reason=reason,
            )
        if grant.granted:
            self._events.credits_moved(ledger.LedgerKind.ADMIN, amount)
        return grant
