"""The broadcast loop: one process at a time (a lease) copies the message to each recipient.

Runs beside the worker pool. Sends are spaced to `per_second` (and go out at the lowest
priority of the bot's send budget), so avatars keep most of Telegram's ~30 sends/s. A 429
waits its `retry_after` and retries the same recipient (Telegram did not deliver it); a 403
marks the user blocked so later broadcasts skip them. Progress is reported every few seconds
(cosmetic: failures to report are ignored) and the totals once at the end.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core import broadcast_recipients, broadcasts
from core.broadcast_recipients import Recipient
from core.broadcasts import BroadcastReport, BroadcastStatus
from core.clock import utcnow
from core.db import unit_of_work
from core.errors import DeliveryError, RecipientBlocked, SendFlood
from core.task_stopping import cancel_and_wait

log = logging.getLogger(__name__)


class BroadcastSender(Protocol):
    """How copies reach Telegram (implemented by the bot)."""

    async def copy(self, *, chat_id: int, from_chat_id: int, message_id: int) -> None:
        """Raises RecipientBlocked, SendFlood or DeliveryError."""

    async def progress(self, report: BroadcastReport) -> None: ...

    async def finished(self, report: BroadcastReport) -> None: ...


class BroadcastRunner:
    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        sender: BroadcastSender,
        per_second: float,
        lease_seconds: float,
        poll_interval: float = 2.0,
        progress_interval: float = 3.0,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._sessions = sessions
        self._sender = sender
        self._spacing = 1.0 / per_second
        self._lease = timedelta(seconds=lease_seconds)
        self._poll_interval = poll_interval
        self._progress_interval = progress_interval
        self._clock = clock
        self._owner = f"broadcast-{uuid.uuid4().hex[:12]}"
        self._wake = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        self._next_send = 0.0
        self.sent_here = 0  # copies this process made (for tests and metrics)

    def notify(self) -> None:
        """A broadcast was created in this process: start now, not at the next poll."""
        self._wake.set()

    async def start(self) -> None:
        self._stopping = False
        self._task = asyncio.create_task(self._loop(), name="broadcast")

    async def stop(self, grace: float = 5.0) -> None:
        """Lets the copy in flight finish (a cancelled one would be written off as unknown)."""
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            with contextlib.suppress(TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(asyncio.shield(self._task), grace)
            await cancel_and_wait(self._task)
            self._task = None

    async def _loop(self) -> None:
        while not self._stopping:
            try:
                await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("broadcast loop failed; retrying")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self._poll_interval)
            self._wake.clear()

    async def _claim(self) -> int | None:
        async with unit_of_work(self._sessions) as session:
            claimed = await broadcasts.claim(
                session, owner=self._owner, now=self._clock(), lease=self._lease
            )
            if claimed is None:
                return None
            job, taken_over = claimed
            if taken_over:
                lost = await broadcast_recipients.write_off_in_flight(session, job.id)
                if lost:
                    log.warning("broadcast %s: %d sends interrupted by a crash", job.id, lost)
            return job.id

    async def run_once(self) -> bool:
        """Runs the current broadcast to its end (or cancellation); False if none was ours."""
        broadcast_id = await self._claim()
        if broadcast_id is None:
            return False
        last_progress = time.monotonic()
        while True:
            if await self._claim() != broadcast_id:  # renews the lease; None: cancelled
                return True
            async with unit_of_work(self._sessions) as session:
                batch = await broadcast_recipients.next_pending(session, broadcast_id, limit=20)
                source = await broadcasts.source_of(session, broadcast_id)
            if not batch:
                await self._finish(broadcast_id)
                return True
            for user_id in batch:
                if self._stopping or not await self._send_one(broadcast_id, user_id, source):
                    return True  # cancelled meanwhile
            if time.monotonic() - last_progress >= self._progress_interval:
                last_progress = time.monotonic()
                await self._report(broadcast_id, final=False)

    async def _send_one(self, broadcast_id: int, user_id: int, source: tuple[int, int]) -> bool:
        async with unit_of_work(self._sessions) as session:
            if await broadcasts.status_of(session, broadcast_id) != BroadcastStatus.RUNNING:
                return False
            if not await broadcast_recipients.move(
                session, broadcast_id, user_id, source=Recipient.PENDING, target=Recipient.SENDING
            ):
                return True
        outcome = await self._copy(user_id, source)
        async with unit_of_work(self._sessions) as session:
            await broadcast_recipients.move(
                session, broadcast_id, user_id, source=Recipient.SENDING, target=outcome
            )
            if outcome == Recipient.BLOCKED:
                await broadcasts.mark_user_blocked(session, user_id, now=self._clock())
        return True

    async def _copy(self, user_id: int, source: tuple[int, int]) -> str:
        from_chat_id, message_id = source
        while True:
            await self._pace()
            try:
                await self._sender.copy(
                    chat_id=user_id, from_chat_id=from_chat_id, message_id=message_id
                )
            except RecipientBlocked:
                return Recipient.BLOCKED
            except SendFlood as flood:
                log.info("broadcast drew a 429; waiting %.1f s", flood.retry_after)
                await asyncio.sleep(flood.retry_after)
                continue
            except DeliveryError as exc:
                log.info("broadcast copy to %s failed: %s", user_id, exc)
                return Recipient.FAILED
            self.sent_here += 1
            return Recipient.SENT

    async def _pace(self) -> None:
        now = time.monotonic()
        if self._next_send > now:
            await asyncio.sleep(self._next_send - now)
        self._next_send = max(now, self._next_send) + self._spacing

    async def _finish(self, broadcast_id: int) -> None:
        async with unit_of_work(self._sessions) as session:
            ended = await broadcasts.finish(
                session, broadcast_id, status=BroadcastStatus.DONE, now=self._clock()
            )
        if ended:
            await self._report(broadcast_id, final=True)

    async def _report(self, broadcast_id: int, *, final: bool) -> None:
        async with unit_of_work(self._sessions) as session:
            report = await broadcasts.report_of(session, broadcast_id)
        if report is None:
            return
        try:
            if final:
                await self._sender.finished(report)
            else:
                await self._sender.progress(report)
        except Exception:  # a report is cosmetic; the broadcast's state is in the database
            log.warning("broadcast %s: report failed", broadcast_id, exc_info=True)
