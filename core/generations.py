"""The job repository: generation rows from queued to completed or failed.

Claims take a lease; a worker that dies simply lets it expire and the sweeper hands the job
to someone else (what a claim's holder may then do to its job lives in `core.claims`). On
PostgreSQL `FOR UPDATE SKIP LOCKED` lets many workers in many processes claim without waiting
on each other; on SQLite `BEGIN IMMEDIATE` already serialises claims.
"""

from __future__ import annotations

import functools
import json
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import ColumnElement, ScalarSelect, Select, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import utcnow
from core.db import is_postgres
from core.models import Generation
from core.models import GenerationStatus as Status
from core.queue_order import fair_round


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
    parent_id: str | None = None  # the avatar this job edits
    extra_original_keys: tuple[str, ...] = ()  # more photos of the person (an album)


@dataclass(frozen=True, slots=True)
class Lease:
    """Who runs a job from now on, and for how long before the sweeper may take it back."""

    owner: str | None  # the process instance (`core.instance`); None in single-process tests
    seconds: float


def new_generation_id() -> str:
    return uuid.uuid4().hex


def _lease(job: Generation, lease: Lease) -> None:
    """The one way a job becomes running: an attempt more, leased to `lease.owner`."""
    now = utcnow()
    job.status = Status.RUNNING
    job.attempts += 1
    job.lease_until = now + timedelta(seconds=lease.seconds)
    job.claimed_by = lease.owner
    job.updated_at = now


async def insert_queued(
    session: AsyncSession, *, job: NewGeneration, gen_id: str, leased: Lease | None = None
) -> Generation:
    """The new job, queued; or, `leased`, already running in this process (a worker slot was
    free and nothing was queued: `core.workers.WorkerPool.take_slot`), in the same insert."""
    extras = list(job.extra_original_keys)
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
        parent_id=job.parent_id,
        extra_original_keys=json.dumps(extras) if extras else None,
    )
    if leased is not None:
        _lease(row, leased)
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


@dataclass(frozen=True, slots=True)
class SubmissionFacts:
    """What admitting a new photo needs to know, read in one statement."""

    taken: bool  # this message already started a job (a redelivered update)
    active: int  # the user's queued and running jobs

    @classmethod
    def of(cls, taken: bool | None, active: int | None) -> SubmissionFacts:
        return cls(taken=bool(taken), active=int(active or 0))


def submission_fact_columns(
    *, user_id: int, chat_id: int, source_message_id: int
) -> tuple[ColumnElement[bool], ScalarSelect[int]]:
    """`SubmissionFacts` as two columns, for a statement that reads more beside them (the
    account: `core.services.accounts`); `SubmissionFacts.of` reads them back."""
    taken = (
        select(Generation.id)
        .where(Generation.chat_id == chat_id, Generation.source_message_id == source_message_id)
        .exists()
    )
    return taken, _active_count(user_id).scalar_subquery()


async def submission_facts(
    session: AsyncSession, *, user_id: int, chat_id: int, source_message_id: int
) -> SubmissionFacts:
    columns = submission_fact_columns(
        user_id=user_id, chat_id=chat_id, source_message_id=source_message_id
    )
    row = (await session.execute(select(*columns))).one()
    return SubmissionFacts.of(row[0], row[1])


def _active_count(user_id: int) -> Select[Any]:
    return (
        select(func.count())
        .select_from(Generation)
        .where(Generation.user_id == user_id, Generation.status.in_(Status.ACTIVE))
    )


async def count_active(session: AsyncSession, user_id: int) -> int:
    return int(await session.scalar(_active_count(user_id)) or 0)


@functools.cache
def _claim_query(limit: int, postgres: bool) -> Select[Any]:
    query = (
        select(Generation)
        .where(Generation.status == Status.QUEUED)
        .order_by(fair_round(), Generation.created_at)
        .limit(limit)
    )
    return query.with_for_update(skip_locked=True, of=Generation) if postgres else query


async def claim_jobs(
    session: AsyncSession, *, limit: int, lease_seconds: float, owner: str | None = None
) -> list[Generation]:
    """Lease up to `limit` of the fairest queued jobs: round by round across users, oldest
    first in a round.

    A job's round is how many of its user's earlier jobs were still pending when it arrived,
    so a user's third photo waits behind everyone else's first: nobody waits out another
    user's whole queue. `owner` (the process instance) lets a restart reclaim its own leases.
    Several at once when several slots are free: a burst pays one transaction per batch.
    """
    jobs = list(await session.scalars(_claim_query(limit, is_postgres(session))))
    lease = Lease(owner=owner, seconds=lease_seconds)
    for job in jobs:
        _lease(job, lease)
    await session.flush()
    return jobs


async def set_status_message(session: AsyncSession, *, gen_id: str, message_id: int) -> bool:
    """Remember the "⏳" message of a job still in progress; False once the job has ended.

    The status condition serialises with completing or failing the row: either the worker
    sees this id when it ends the job and removes the message, or this returns False.
    """
    result = await session.execute(
        update(Generation)
        .where(Generation.id == gen_id, Generation.status.in_(Status.ACTIVE))
        .values(status_message_id=message_id)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]
