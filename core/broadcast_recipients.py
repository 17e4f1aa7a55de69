"""A broadcast's recipients: one row per user, each state step its own commit.

A recipient moves pending -> sending -> sent | blocked | failed, each step its own commit.
A row still `sending` when a new holder takes the lease was interrupted mid-request: the copy
may or may not have reached the user, so it becomes `unknown` and is never sent again (at
most once: nobody gets the message twice, at the price of one possible miss per crash).
"""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.sharing_tables import BroadcastRecipient


class Recipient:
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    BLOCKED = "blocked"
    FAILED = "failed"
    UNKNOWN = "unknown"  # interrupted while sending: maybe delivered, never retried


async def write_off_in_flight(session: AsyncSession, broadcast_id: int) -> int:
    result = await session.execute(
        update(BroadcastRecipient)
        .where(
            BroadcastRecipient.broadcast_id == broadcast_id,
            BroadcastRecipient.state == Recipient.SENDING,
        )
        .values(state=Recipient.UNKNOWN)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


async def next_pending(session: AsyncSession, broadcast_id: int, *, limit: int) -> list[int]:
    rows = await session.scalars(
        select(BroadcastRecipient.user_id)
        .where(
            BroadcastRecipient.broadcast_id == broadcast_id,
            BroadcastRecipient.state == Recipient.PENDING,
        )
        .order_by(BroadcastRecipient.user_id)
        .limit(limit)
    )
    return list(rows)


async def move(
    session: AsyncSession, broadcast_id: int, user_id: int, *, source: str, target: str
) -> bool:
    """A conditional state step: False when the row was not in `source` any more."""
    result = await session.execute(
        update(BroadcastRecipient)
        .where(
            BroadcastRecipient.broadcast_id == broadcast_id,
            BroadcastRecipient.user_id == user_id,
            BroadcastRecipient.state == source,
        )
        .values(state=target)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def counts(session: AsyncSession, broadcast_id: int) -> dict[str, int]:
    rows = await session.execute(
        select(BroadcastRecipient.state, func.count())
        .where(BroadcastRecipient.broadcast_id == broadcast_id)
        .group_by(BroadcastRecipient.state)
    )
    return {str(state): int(count) for state, count in rows.all()}
