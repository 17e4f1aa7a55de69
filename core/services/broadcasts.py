"""Admin broadcasts: the audience before confirming, one running at a time, cancel.

The sending itself is `core.broadcast_runner.BroadcastRunner`, on the worker side.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core import broadcasts
from core.broadcasts import BroadcastReport, BroadcastStatus
from core.clock import utcnow
from core.db import unit_of_work
from core.errors import BroadcastAlreadyRunning, BroadcastAlreadySent

log = logging.getLogger(__name__)


class BroadcastService:
    def __init__(
        self, *, sessions: async_sessionmaker[AsyncSession], wake: Callable[[], None]
    ) -> None:
        self._sessions = sessions
        self._wake = wake  # the runner in this process, if any, starts at once

    async def audience(self) -> int:
        """Raises BroadcastAlreadyRunning while one runs."""
        async with unit_of_work(self._sessions) as session:
            if await broadcasts.running(session) is not None:
                raise BroadcastAlreadyRunning("a broadcast is running")
            return await broadcasts.audience_size(session)

    async def start(
        self,
        *,
        admin_id: int,
        admin_language: str | None,
        source_chat_id: int,
        source_message_id: int,
        progress_message_id: int | None,
    ) -> BroadcastReport:
        try:
            async with unit_of_work(self._sessions) as session:
                if await broadcasts.running(session) is not None:
                    raise BroadcastAlreadyRunning("a broadcast is running")
                if await broadcasts.exists_for(session, source_chat_id, source_message_id):
                    raise BroadcastAlreadySent("this message was broadcast already")
                job = await broadcasts.create(
                    session,
                    admin_id=admin_id,
                    admin_language=admin_language,
                    source_chat_id=source_chat_id,
                    source_message_id=source_message_id,
                    progress_message_id=progress_message_id,
                )
                report = await broadcasts.report_of(session, job.id)
        except IntegrityError as exc:  # a concurrent start won the unique `running` slot
            raise BroadcastAlreadyRunning("a broadcast is running") from exc
        assert report is not None
        log.info("broadcast %s started for %d users", report.broadcast_id, report.total)
        self._wake()
        return report

    async def note_blocked(self, user_id: int, *, blocked: bool) -> None:
        """Telegram said the user blocked (or unblocked) the bot."""
        async with unit_of_work(self._sessions) as session:
            if blocked:
                await broadcasts.mark_user_blocked(session, user_id, now=utcnow())
            else:
                await broadcasts.clear_user_blocked(session, user_id)

    async def cancel(self) -> BroadcastReport | None:
        """Stops the running broadcast (the rest stay unsent); None when none runs."""
        async with unit_of_work(self._sessions) as session:
            job = await broadcasts.running(session)
            if job is None:
                return None
            await broadcasts.finish(session, job.id, status=BroadcastStatus.CANCELLED, now=utcnow())
            report = await broadcasts.report_of(session, job.id)
        log.info("broadcast %s cancelled", job.id)
        return report
