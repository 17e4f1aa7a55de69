"""The gallery's read side: a user's completed avatars, newest first, and what points at them.

Every query here is scoped by `user_id`: ownership is part of the question, so a foreign or
forged id simply finds nothing.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from core.models import Generation
from core.models import GenerationStatus as Status


async def get_owned(session: AsyncSession, *, user_id: int, gen_id: str) -> Generation | None:
    return await session.scalar(
        select(Generation).where(Generation.id == gen_id, Generation.user_id == user_id)
    )


def _completed_of(user_id: int) -> ColumnElement[bool]:
    return and_(Generation.user_id == user_id, Generation.status == Status.COMPLETED)


async def list_completed(
    session: AsyncSession, *, user_id: int, offset: int, limit: int
) -> tuple[list[Generation], int]:
    total = await session.scalar(
        select(func.count()).select_from(Generation).where(_completed_of(user_id))
    )
    rows = await session.scalars(
        select(Generation)
        .where(_completed_of(user_id))
        .order_by(Generation.created_at.desc(), Generation.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return list(rows), int(total or 0)


async def position_of(session: AsyncSession, *, user_id: int, generation: Generation) -> int:
    """Zero-based index of a completed avatar in the newest-first gallery order."""
    newer = await session.scalar(
        select(func.count())
        .select_from(Generation)
        .where(
            _completed_of(user_id),
            (Generation.created_at > generation.created_at)
            | and_(Generation.created_at == generation.created_at, Generation.id > generation.id),
        )
    )
    return int(newer or 0)


async def find_by_result_message(
    session: AsyncSession, *, user_id: int, chat_id: int, message_id: int
) -> Generation | None:
    return await session.scalar(
        select(Generation).where(
            Generation.user_id == user_id,
            Generation.chat_id == chat_id,
            Generation.result_message_id == message_id,
            Generation.status == Status.COMPLETED,
        )
    )


async def set_file_id(session: AsyncSession, *, gen_id: str, file_id: str) -> None:
    await session.execute(
        update(Generation).where(Generation.id == gen_id).values(telegram_file_id=file_id)
    )


async def delete_owned(session: AsyncSession, *, user_id: int, gen_id: str) -> bool:
    result = await session.execute(
        delete(Generation).where(
            Generation.id == gen_id,
            Generation.user_id == user_id,
            Generation.status.in_((Status.COMPLETED, Status.FAILED)),
        )
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def last_completed_at(session: AsyncSession, user_id: int) -> datetime | None:
    return await session.scalar(
        select(func.max(Generation.completed_at)).where(_completed_of(user_id))
    )
