"""The order in which queued jobs are claimed, and every waiting job's place in it.

Claims are fair by rounds: a job's round is how many of its user's earlier jobs were still
pending when it arrived, so a user's third photo waits behind everyone else's first. The
places shown to users ("⏳ In line: 4th") come from the same order, for all waiting jobs in
one query, so a refresh costs the same for one waiting job as for a thousand.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from core.models import Generation, User
from core.models import GenerationStatus as Status


@functools.cache
def fair_round() -> ColumnElement[int]:
    """The round of the `Generation` row in the surrounding query (a correlated subquery).
    Built once: it has no parameters, and building it costs more than running a claim."""
    earlier = aliased(Generation)
    return (
        select(func.count())
        .select_from(earlier)
        .where(
            earlier.user_id == Generation.user_id,
            earlier.created_at < Generation.created_at,
            earlier.status.in_(Status.ACTIVE) | (earlier.updated_at >= Generation.created_at),
        )
        .scalar_subquery()
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class PlaceInLine:
    generation_id: str
    user_id: int
    chat_id: int
    status_message_id: int | None
    language: str | None  # the user's chosen language, else their client's
    place: int  # 1: the next job a free worker claims; 0: running already


async def waiting_in_line(session: AsyncSession, *, limit: int = 1000) -> list[PlaceInLine]:
    """Every active job with its place: running ones (0) first, then the queue in claim order
    (the first `limit` jobs in all)."""
    running = Generation.status == Status.RUNNING
    rows = await session.execute(
        select(
            Generation.id,
            Generation.user_id,
            Generation.chat_id,
            Generation.status_message_id,
            func.coalesce(User.language, User.language_code).label("language"),
            running.label("running"),
        )
        .join(User, User.id == Generation.user_id)
        .where(Generation.status.in_(Status.ACTIVE))
        .order_by(running.desc(), fair_round(), Generation.created_at)
        .limit(limit)
    )
    places: list[PlaceInLine] = []
    waiting = 0
    for row in rows:
        waiting += 0 if row.running else 1
        places.append(
            PlaceInLine(
                generation_id=row.id,
                user_id=row.user_id,
                chat_id=row.chat_id,
                status_message_id=row.status_message_id,
                language=row.language,
                place=0 if row.running else waiting,
            )
        )
    return places
