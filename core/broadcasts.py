"""Broadcast jobs and their recipients: the durable state that makes a broadcast resumable.

Each recipient's row and its state steps are `core.broadcast_recipients`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, insert, literal, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.broadcast_recipients import Recipient, counts
from core.models import User
from core.sharing_tables import Broadcast, BroadcastRecipient


class BroadcastStatus:
    RUNNING = "running"
    DONE = "done"
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True, kw_only=True)
class BroadcastReport:
    broadcast_id: int
    admin_id: int
    admin_language: str | None
    progress_message_id: int | None
    status: str
    total: int
    sent: int
    blocked: int
    failed: int  # failed, plus interrupted sends that may or may not have arrived

    @property
    def done(self) -> int:
        return self.sent + self.blocked + self.failed


async def report_of(session: AsyncSession, broadcast_id: int) -> BroadcastReport | None:
    job = await session.get(Broadcast, broadcast_id)
    if job is None:
        return None
    by_state = await counts(session, broadcast_id)
    return BroadcastReport(
        broadcast_id=job.id,
        admin_id=job.admin_id,
        admin_language=job.admin_language,
        progress_message_id=job.progress_message_id,
        status=job.status,
        total=job.total,
        sent=by_state.get(Recipient.SENT, 0),
        blocked=by_state.get(Recipient.BLOCKED, 0),
        failed=by_state.get(Recipient.FAILED, 0) + by_state.get(Recipient.UNKNOWN, 0),
    )


async def status_of(session: AsyncSession, broadcast_id: int) -> str | None:
    return await session.scalar(select(Broadcast.status).where(Broadcast.id == broadcast_id))


async def source_of(session: AsyncSession, broadcast_id: int) -> tuple[int, int]:
    """(chat id, message id) of the message to copy."""
    row = (
        await session.execute(
            select(Broadcast.source_chat_id, Broadcast.source_message_id).where(
                Broadcast.id == broadcast_id
            )
        )
    ).one()
    return int(row[0]), int(row[1])


async def exists_for(session: AsyncSession, chat_id: int, message_id: int) -> bool:
    found = await session.scalar(
        select(Broadcast.id).where(
            Broadcast.source_chat_id == chat_id, Broadcast.source_message_id == message_id
        )
    )
    return found is not None


async def running(session: AsyncSession) -> Broadcast | None:
    return await session.scalar(select(Broadcast).where(Broadcast.running.is_(True)))


async def audience_size(session: AsyncSession) -> int:
    """Users who have not blocked the bot (as far as we know)."""
    count = await session.scalar(
        select(func.count()).select_from(User).where(User.blocked_at.is_(None))
    )
    return int(count or 0)


async def create(
    session: AsyncSession,
    *,
    admin_id: int,
    admin_language: str | None = None,
    source_chat_id: int,
    source_message_id: int,
    progress_message_id: int | None,
) -> Broadcast:
    """A running broadcast with one pending row per reachable user; the unique `running`
    column makes a concurrent second one fail with IntegrityError at flush."""
    job = Broadcast(
        admin_id=admin_id,
        admin_language=admin_language,
        source_chat_id=source_chat_id,
        source_message_id=source_message_id,
        progress_message_id=progress_message_id,
        status=BroadcastStatus.RUNNING,
        running=True,
    )
    session.add(job)
    await session.flush()
    audience = select(literal(job.id), User.id, literal(Recipient.PENDING)).where(
        User.blocked_at.is_(None)
    )
    await session.execute(
        insert(BroadcastRecipient).from_select(
            [BroadcastRecipient.broadcast_id, BroadcastRecipient.user_id, BroadcastRecipient.state],
            audience,
        )
    )
    job.total = await audience_size(session)
    return job


async def claim(
    session: AsyncSession, *, owner: str, now: datetime, lease: timedelta
) -> tuple[Broadcast, bool] | None:
    """Takes (or renews) the running broadcast's lease; the flag says it was taken over,
    i.e. the previous holder died, so its in-flight rows must be written off."""
    job = await running(session)
    if job is None:
        return None
    renewing = job.lease_owner == owner
    free = or_(
        Broadcast.lease_until.is_(None),
        Broadcast.lease_until < now,
        Broadcast.lease_owner == owner,
    )
    result = await session.execute(
        update(Broadcast)
        .where(Broadcast.id == job.id, Broadcast.running.is_(True), free)
        .values(lease_owner=owner, lease_until=now + lease)
        .returning(Broadcast.id)
    )
    if result.scalar_one_or_none() is None:
        return None
    await session.refresh(job)
    return job, not renewing


async def finish(session: AsyncSession, broadcast_id: int, *, status: str, now: datetime) -> bool:
    """Ends a running broadcast (done or cancelled); False if it had already ended."""
    result = await session.execute(
        update(Broadcast)
        .where(Broadcast.id == broadcast_id, Broadcast.running.is_(True))
        .values(status=status, running=None, finished_at=now, lease_until=None)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def mark_user_blocked(session: AsyncSession, user_id: int, *, now: datetime) -> None:
    await session.execute(
        update(User).where(User.id == user_id, User.blocked_at.is_(None)).values(blocked_at=now)
    )


async def clear_user_blocked(session: AsyncSession, user_id: int) -> None:
    """The user wrote again (or unblocked the bot): include them in later broadcasts."""
    await session.execute(
        update(User).where(User.id == user_id, User.blocked_at.is_not(None)).values(blocked_at=None)
    )
