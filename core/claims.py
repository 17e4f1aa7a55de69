"""What the holder of a claim may do to its job, and what the sweeper does when it is gone.

Every change a worker makes to a claimed job is fenced by its attempt number (`WHERE id AND
attempts AND status='running'`): a worker whose lease ran out and was taken over, or swept,
can neither complete, fail, refund nor release it; its update simply matches no row.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import cast

from sqlalchemy import Table, bindparam, case, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core import users
from core.clock import utcnow
from core.models import DeliveryState as Delivery
from core.models import Generation, User
from core.models import GenerationStatus as Status

_rows = cast(Table, Generation.__table__)
# Built once, the one form of "the row while `attempt` still holds it" (a sweep or a takeover
# bumps or ends it). The SET clause comes from each call's parameter names, so building,
# cache key and ORM bookkeeping are paid once per process, not once per heartbeat or send.
_HELD = update(_rows).where(
    _rows.c.id == bindparam("held_id"),
    _rows.c.attempts == bindparam("held_attempt"),
    _rows.c.status == Status.RUNNING,
)
_HELD_STATUS_MESSAGE = _HELD.returning(_rows.c.status_message_id)
_users = cast(Table, User.__table__)
# The send mark hands back what the caption needs, read in the same statement.
_HELD_FOR_CAPTION = _HELD.returning(
    *(
        select(column).where(_users.c.id == _rows.c.user_id).scalar_subquery()
        for column in (_users.c.credits, _users.c.language, _users.c.language_code)
    )
)


def _params(gen_id: str, attempt: int, values: Mapping[str, object]) -> dict[str, object]:
    return {"held_id": gen_id, "held_attempt": attempt, "updated_at": utcnow(), **values}


async def _changed(session: AsyncSession, gen_id: str, attempt: int, **values: object) -> bool:
    """Set plain `values` on the row while `attempt` holds it; False once it does not."""
    result = await session.execute(_HELD, _params(gen_id, attempt, values))
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def extend_lease(
    session: AsyncSession, *, gen_id: str, attempt: int, lease_seconds: float
) -> bool:
    """Renew the lease; False once the claim was taken over (the worker must stand down)."""
    return await _changed(
        session, gen_id, attempt, lease_until=utcnow() + timedelta(seconds=lease_seconds)
    )


IN_DOUBT = (Delivery.SENDING, Delivery.RESENDING)


@dataclass(frozen=True, slots=True)
class StoredResult:
    """A new avatar in storage, recorded on the row together with the send mark."""

    key: str
    model_cost: float | None
    model: str | None


@dataclass(frozen=True, slots=True)
class Sending:
    """A send mark taken: the user's balance and language, for the avatar's caption."""

    balance: int
    language: str | None


async def begin_send(
    session: AsyncSession,
    *,
    gen_id: str,
    attempt: int,
    lease_seconds: float,
    resend: bool = False,
    result: StoredResult | None = None,
) -> Sending | None:
    """Renew the lease and note that a send (or the one re-send after a crash cut the first
    off) starts: from here on the avatar may reach the user, so a crash or a lost answer can
    no longer end in a refund. A new `result` is recorded in the same statement, so a retry
    after a crash re-sends the stored avatar instead of paying the model twice. None when
    `attempt` no longer holds the job."""
    values: dict[str, object] = {
        "lease_until": utcnow() + timedelta(seconds=lease_seconds),
        "delivery": Delivery.RESENDING if resend else Delivery.SENDING,
    }
    if result is not None:
        values |= {"result_key": result.key, "model_cost": result.model_cost, "model": result.model}
    found = (await session.execute(_HELD_FOR_CAPTION, _params(gen_id, attempt, values))).first()
    if found is None:
        return None
    balance, chosen, client = found
    return Sending(balance=int(balance), language=users.preferred_language(chosen, client))


async def undo_send(
    session: AsyncSession, *, gen_id: str, attempt: int, previous: str | None
) -> bool:
    """Telegram cleanly refused the send: the mark goes back to what an earlier attempt left."""
    return await _changed(session, gen_id, attempt, delivery=previous)


@dataclass(frozen=True, slots=True)
class Completed:
    """The job ended as this attempt; its "⏳" message as of that moment, for removal."""

    status_message_id: int | None


async def complete(
    session: AsyncSession,
    *,
    gen_id: str,
    attempt: int,
    file_id: str | None,
    result_message_id: int | None,
    delivery: str = Delivery.SENT,
) -> Completed | None:
    """End the job delivered (`sent`) or maybe delivered (`unconfirmed`, no file_id); None
    when this attempt no longer held it."""
    values = {
        "status": Status.COMPLETED,
        "delivery": delivery,
        "telegram_file_id": file_id,
        "result_message_id": result_message_id,
        "lease_until": None,
        "completed_at": utcnow(),
    }
    row = (await session.execute(_HELD_STATUS_MESSAGE, _params(gen_id, attempt, values))).first()
    return None if row is None else Completed(status_message_id=row.status_message_id)


async def mark_failed(
    session: AsyncSession, *, gen_id: str, attempt: int, error_code: str, error_message: str
) -> Generation | None:
    """Fail the job; None when the claim is no longer current or its avatar may already have
    reached the user (a send is in doubt), so nobody refunds twice or refunds a delivery."""
    not_in_doubt = or_(_rows.c.delivery.is_(None), _rows.c.delivery.not_in(IN_DOUBT))
    values = {
        "status": Status.FAILED,
        "error_code": error_code,
        "error_message": error_message[:1000],
        "lease_until": None,
    }
    result = await session.execute(
        _HELD.where(not_in_doubt).returning(_rows.c.id), _params(gen_id, attempt, values)
    )
    if result.scalar_one_or_none() is None:
        return None
    return await session.get(Generation, gen_id, populate_existing=True)


async def release(
    session: AsyncSession, *, gen_id: str, attempt: int, count_attempt: bool = False
) -> bool:
    """Hand a running job back to the queue: after a failed send, or at shutdown (uncounted)."""
    if count_attempt:
        return await _changed(session, gen_id, attempt, status=Status.QUEUED, lease_until=None)
    uncounted = _HELD.values(attempts=case((_rows.c.attempts > 0, _rows.c.attempts - 1), else_=0))
    values = {"status": Status.QUEUED, "lease_until": None}
    result = await session.execute(uncounted, _params(gen_id, attempt, values))
    return bool(result.rowcount)  # type: ignore[attr-defined]


# --- the sweeper's side: rows whose holder is gone -------------------------------------------


async def expire_own(session: AsyncSession, *, owner: str) -> int:
    """A restarted instance's leases end now: whatever held them died with the old process."""
    result = await session.execute(
        update(Generation)
        .where(Generation.status == Status.RUNNING, Generation.claimed_by == owner)
        .values(lease_until=utcnow() - timedelta(seconds=1))
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


async def requeue_expired(session: AsyncSession, *, max_attempts: int) -> list[str]:
    """Put jobs whose lease ran out back in the queue while they have attempts left."""
    now = utcnow()
    result = await session.execute(
        update(Generation)
        .where(
            Generation.status == Status.RUNNING,
            Generation.lease_until < now,
            Generation.attempts < max_attempts,
        )
        .values(status=Status.QUEUED, lease_until=None, claimed_by=None, updated_at=now)
        .returning(Generation.id)
    )
    return list(result.scalars())


async def exhausted_expired(session: AsyncSession, *, max_attempts: int) -> list[tuple[str, int]]:
    """(id, attempt) of expired jobs with no attempts left: the sweeper ends them as that
    attempt, so a holder that comes back late cannot also end them."""
    rows = await session.execute(
        select(Generation.id, Generation.attempts).where(
            Generation.status == Status.RUNNING,
            Generation.lease_until < utcnow(),
            Generation.attempts >= max_attempts,
        )
    )
    return [(gen_id, attempt) for gen_id, attempt in rows.all()]
