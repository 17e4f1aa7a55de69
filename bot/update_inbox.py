"""Processing the durable inbox: stored updates → `Application.process_update`, exactly as
PTB would, but finished only once processing returned.

Receivers (the polling fetch loop, the webhook route) call `accept` with raw updates; it
stores them claimed by this process and starts processing the new ones through the
Application's update processor (up to `concurrent_updates` at once), in no particular order,
as PTB does (holding a chat's updates back until the previous one finished cost a burst its
concurrency).
A heartbeat (`bot.inbox_heartbeat`) renews the leases of updates held here and claims the ones
a dead receiver (or a previous run of this one) left behind. An exception escaping
`process_update` frees the update for a later attempt; after `max_attempts` it is given up with
a log line naming it.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Update

from bot.context import BotApplication
from bot.inbox_heartbeat import InboxHeartbeat
from core import inbox
from core.db import single_statement, unit_of_work
from core.db_gate import receiving, work_started
from core.inbox import RawUpdate, StoredUpdate
from core.task_stopping import cancel_and_wait

log = logging.getLogger(__name__)

FLUSH_SECONDS = 0.05  # finished updates are marked done in batches this often
RETRY_DELAY_SECONDS = 2.0


class UpdateInbox:
    def __init__(
        self,
        application: BotApplication,
        sessions: async_sessionmaker[AsyncSession],
        *,
        lease_seconds: float,
        max_attempts: int,
        retention_days: float,
    ) -> None:
        self.application = application
        self.sessions = sessions
        self.lease_seconds = lease_seconds
        self.max_attempts = max_attempts
        self.retention = timedelta(days=retention_days)
        self.owner = f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._held: set[int] = set()  # claimed here, not yet marked done
        self._started: set[int] = set()
        self._finished: list[int] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._loops: list[asyncio.Task[None]] = []
        self._wake_flush = asyncio.Event()
        self._heartbeat = InboxHeartbeat(
            sessions,
            owner=self.owner,
            lease_seconds=lease_seconds,
            max_attempts=max_attempts,
            retention=self.retention,
            held=self._held,
            dispatch=self._dispatch,
        )

    async def accept(self, raws: Sequence[RawUpdate]) -> None:
        """Store the updates (one statement, atomic by itself: `core.db.single_statement`) and
        process the new ones; raises when the store failed, so the caller does not confirm
        them to Telegram."""
        with receiving():  # before the intake of earlier batches: see core.db_gate
            async with single_statement(self.sessions) as session:
                fresh = await inbox.store(
                    session, raws, owner=self.owner, lease_seconds=self.lease_seconds
                )
        self._dispatch(fresh)

    async def start(self) -> None:
        """Resume what was stored and not finished, then keep leases and the table tidy."""
        await self._heartbeat.claim()
        self._loops = [
            asyncio.create_task(self._heartbeat.run(), name="inbox-heartbeat"),
            asyncio.create_task(self._flusher(), name="inbox-flush"),
        ]

    async def stop(self, grace: float) -> None:
        """Let running updates finish (up to `grace`), hand back the ones never started."""
        await cancel_and_wait(*self._loops)
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=grace)
        await cancel_and_wait(*self._tasks)
        await self._flush()
        unstarted = sorted(self._held - self._started)
        try:
            async with unit_of_work(self.sessions) as session:
                await inbox.release(session, unstarted, owner=self.owner)
        except Exception:
            log.warning("could not hand back %d updates; their lease will", len(unstarted))

    @property
    def in_flight(self) -> int:
        return len(self._held)

    def _dispatch(self, stored: Sequence[StoredUpdate]) -> None:
        for item in stored:
            self._held.add(item.update_id)
            task = asyncio.create_task(self._run(item), name=f"update-{item.update_id}")
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _run(self, item: StoredUpdate) -> None:
        work_started()  # its transactions go before those of updates started after it
        ok = await self._process(item)
        if ok:
            self._finished.append(item.update_id)
            self._wake_flush.set()
        else:
            await self._retry_later(item)

    async def _process(self, item: StoredUpdate) -> bool:
        try:
            update = Update.de_json(item.payload, self.application.bot)
            # Through PTB's update processor, as its Updater would: it bounds how many run at
            # once and counts them (the send budget reads current_concurrent_updates).
            processing = self._started_processing(item, update)
            try:
                await self.application.update_processor.process_update(update, processing)
            finally:
                processing.close()  # never started (stopped while waiting for a slot): no warning
        except Exception:
            log.exception(
                "update %d raised (attempt %d of %d)",
                item.update_id,
                item.attempts,
                self.max_attempts,
            )
            return False
        return True

    async def _started_processing(self, item: StoredUpdate, update: Update) -> None:
        self._started.add(item.update_id)
        await self.application.process_update(update)

    async def _retry_later(self, item: StoredUpdate) -> None:
        try:
            async with unit_of_work(self.sessions) as session:
                gave_up = await inbox.retry_later(
                    session,
                    update_id=item.update_id,
                    owner=self.owner,
                    delay_seconds=RETRY_DELAY_SECONDS,
                    max_attempts=self.max_attempts,
                )
        except Exception:
            log.warning("update %d: could not free it; its lease will", item.update_id)
            gave_up = False
        finally:
            self._held.discard(item.update_id)
            self._started.discard(item.update_id)
        if gave_up:
            log.error("giving up on update %d after %d attempts", item.update_id, item.attempts)

    async def _flusher(self) -> None:
        while True:
            await self._wake_flush.wait()
            await asyncio.sleep(FLUSH_SECONDS)
            self._wake_flush.clear()
            await self._flush()

    async def _flush(self) -> None:
        done, self._finished = self._finished, []
        if not done:
            return
        try:
            async with unit_of_work(self.sessions) as session:
                await inbox.finish(session, done)
        except Exception:
            log.warning("could not mark %d updates done; retrying", len(done), exc_info=True)
            self._finished.extend(done)
            self._wake_flush.set()
            return
        self._held.difference_update(done)
        self._started.difference_update(done)
