"""The inbox's heartbeat: renews the leases of the updates this process holds, claims the ones a
dead receiver (or a previous run of this one) left behind, and prunes finished ones now and then.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core import inbox
from core.clock import utcnow
from core.db import unit_of_work
from core.inbox import StoredUpdate

log = logging.getLogger(__name__)

CLAIM_BATCH = 100
PRUNE_EVERY_SECONDS = 3600.0


class InboxHeartbeat:
    """Lease upkeep for `bot.update_inbox.UpdateInbox`; claimed updates go to `dispatch`."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        owner: str,
        lease_seconds: float,
        max_attempts: int,
        retention: timedelta,
        held: set[int],
        dispatch: Callable[[Sequence[StoredUpdate]], None],
    ) -> None:
        self.sessions = sessions
        self.owner = owner
        self.lease_seconds = lease_seconds
        self.max_attempts = max_attempts
        self.retention = retention
        self._held = held  # the inbox's own set: claimed here, not yet marked done
        self._dispatch = dispatch

    async def run(self) -> None:
        period = max(0.2, self.lease_seconds / 3)
        last_prune = 0.0
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(period)
            if self._held:
                with contextlib.suppress(Exception):
                    async with unit_of_work(self.sessions) as session:
                        await inbox.renew(
                            session,
                            sorted(self._held),
                            owner=self.owner,
                            lease_seconds=self.lease_seconds,
                        )
            await self.claim()
            if loop.time() - last_prune >= PRUNE_EVERY_SECONDS:
                last_prune = loop.time()
                await self._prune()

    async def claim(self) -> None:
        try:
            async with unit_of_work(self.sessions) as session:
                claimed, given_up = await inbox.claim(
                    session,
                    owner=self.owner,
                    lease_seconds=self.lease_seconds,
                    limit=CLAIM_BATCH,
                    max_attempts=self.max_attempts,
                )
        except Exception:
            log.warning("could not claim stored updates; trying again", exc_info=True)
            return
        for update_id in given_up:
            log.error("giving up on update %d: its attempts ran out", update_id)
        if claimed:
            log.info("resuming %d stored updates", len(claimed))
        self._dispatch(claimed)

    async def _prune(self) -> None:
        try:
            async with unit_of_work(self.sessions) as session:
                pruned = await inbox.prune(session, finished_before=utcnow() - self.retention)
        except Exception:
            log.warning("could not prune finished updates", exc_info=True)
            return
        if pruned:
            log.info("pruned %d finished updates", pruned)
