"""The job repository: generation rows from queued to completed or failed.

Claims take a lease; a worker that dies simply lets it expire and the sweeper hands the job
to someone else. On PostgreSQL `FOR UPDATE SKIP LOCKED` lets many workers in many processes
claim without waiting on each other; on SQLite `BEGIN IMMEDIATE` already serialises claims.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import case, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from core.clock import utcnow
from core.db import is_postgres
from core.models import Generation
from core.models import GenerationStatus as Status


@dataclass(frozen=True, slots=True)
class NewGeneration:
    user_id: int
    chat_id: int
    source_message_id: int
    status_message_id: int | None
    style: str
    prompt_extra: str | None
    aspect_ratio: str
    original_key: str
    credits_used: int


def new_generation_id() -> str:
    return uuid.uuid4().hex


async def insert_queued(session: AsyncSession, *, job: NewGeneration, gen_id: str) -> Generation:
    row = Generation(
        id=gen_id,
        user_id=job.user_id,
        chat_id=job.chat_id,
        source_message_id=job.source_message_id,
        status_message_id=job.status_message_id,
        status=Status.QUEUED,
        style=job.style,
        prompt_extra=job.prompt_extra,
        aspect_ratio=job.aspect_ratio,
        original_key=job.original_key,
        credits_used=job.credits_used,
        attempts=0,
    )
    session.add(row)
    await session.flush()
    return row


async def find_by_source(
    session: AsyncSession, *, chat_id: int, source_message_id: int
) -> Generation | None:
    return await session.scalar(
        select(Generation).where(
            Generation.chat_id == chat_id, Generation.source_message_id == source_message_id
        )
    )


async def count_active(session: AsyncSession, user_id: int) -> int:
    total = await session.scalar(
        select(func.count())
        .select_from(Generation)
        .where(Generation.user_id == user_id, Generation.status.in_(Status.ACTIVE))
    )
    return int(total or 0)


async def claim_next(session: AsyncSession, *, lease_seconds: float) -> Generation | None:
    """Lease the fairest queued job: round by round across users, oldest first in a round.

    A job's round is how many of its user's earlier jobs were still pending when it arrived,
    so a user's third photo waits behind everyone else's first: nobody waits out another
    user's whole queue.
    """
    earlier = aliased(Generation)
    round_of_job = (
        select(func.count())
        .select_from(earlier)
        .where(
            earlier.user_id == Generation.user_id,
            earlier.created_at < Generation.created_at,
            earlier.status.in_(Status.ACTIVE) | (earlier.updated_at >= Generation.created_at),
        )
        .scalar_subquery()
    )
    query = (
        select(Generation)
        .where(Generation.status == Status.QUEUED)
        .order_by(round_of_job, Generation.created_at)
        .limit(1)
    )
    if is_postgres(session):
        query = query.with_for_update(skip_locked=True, of=Generation)
    job = await session.scalar(query)
    if job is None:
        return None
    now = utcnow()
    job.status = Status.RUNNING
    job.attempts += 1
    job.lease_until = now + timedelta(seconds=lease_seconds)
    job.updated_at = now
    await session.flush()
    return job


async def extend_lease(
    session: AsyncSession, *, gen_id: str, lease_seconds: float, attempt: int | None = None
) -> bool:
    """Renew a running job's lease; with `attempt`, only while that claim is still the current
    one (the attempt count fences out a worker whose lease ran out and was taken over)."""
    owned = [Generation.id == gen_id, Generation.status == Status.RUNNING]
    if attempt is not None:
        owned.append(Generation.attempts == attempt)
    result = await session.execute(
        update(Generation)
        .where(*owned)
        .values(lease_until=utcnow() + timedelta(seconds=lease_seconds))
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def record_result(
    session: AsyncSession,
    *,
    gen_id: str,
    result_key: str,
    model_cost: float | None,
    model: str | None = None,
) -> None:
    """Remember the stored avatar so a retry after a crash re-sends instead of re-generating."""
    await session.execute(
        update(Generation)
        .where(Generation.id == gen_id)
        .values(result_key=result_key, model_cost=model_cost, model=model, updated_at=utcnow())
    )


async def complete(
    session: AsyncSession, *, gen_id: str, file_id: str | None, result_message_id: int | None
) -> bool:
    now = utcnow()
    result = await session.execute(
        update(Generation)
        .where(Generation.id == gen_id, Generation.status.in_(Status.ACTIVE))
        .values(
            status=Status.COMPLETED,
            telegram_file_id=file_id,
            result_message_id=result_message_id,
            lease_until=None,
            completed_at=now,
            updated_at=now,
        )
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def mark_failed(
    session: AsyncSession, *, gen_id: str, error_code: str, error_message: str
) -> Generation | None:
    """Fail an active job; None when it had already ended (so nobody refunds twice)."""
    now = utcnow()
    result = await session.execute(
        update(Generation)
        .where(Generation.id == gen_id, Generation.status.in_(Status.ACTIVE))
        .values(
            status=Status.FAILED,
            error_code=error_code,
            error_message=error_message[:1000],
            lease_until=None,
            updated_at=now,
        )
        .returning(Generation.id)
    )
    if result.scalar_one_or_none() is None:
        return None
    return await session.get(Generation, gen_id, populate_existing=True)


async def release(session: AsyncSession, *, gen_id: str, count_attempt: bool = False) -> None:
    """Hand a running job back to the queue: after a failed send, or at shutdown (uncounted)."""
    values: dict[str, object] = {
        "status": Status.QUEUED,
        "lease_until": None,
        "updated_at": utcnow(),
    }
    if not count_attempt:
        values["attempts"] = case((Generation.attempts > 0, Generation.attempts - 1), else_=0)
    await session.execute(
        update(Generation)
        .where(Generation.id == gen_id, Generation.status == Status.RUNNING)
        .values(values)
    )


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
        .values(status=Status.QUEUED, lease_until=None, updated_at=now)
        .returning(Generation.id)
    )
    return list(result.scalars())


async def exhausted_expired(session: AsyncSession, *, max_attempts: int) -> list[str]:
    rows = await session.scalars(
        select(Generation.id).where(
            Generation.status == Status.RUNNING,
            Generation.lease_until < utcnow(),
            Generation.attempts >= max_attempts,
        )
    )
    return list(rows)


async def get(session: AsyncSession, gen_id: str) -> Generation | None:
    return await session.get(Generation, gen_id, populate_existing=True)


async def queue_depth(session: AsyncSession) -> int:
    total = await session.scalar(
        select(func.count()).select_from(Generation).where(Generation.status == Status.QUEUED)
    )
    return int(total or 0)
