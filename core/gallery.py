"""The gallery's read side: a user's completed avatars, newest first, and what points at them.

Every query here is scoped by `user_id`: ownership is part of the question, so a foreign or
forged id simply finds nothing. Paging is by keyset on `(created_at, id)`: a page turn reads
the neighbour of the avatar on screen, never an OFFSET that grows with the gallery.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from core.models import Generation
from core.models import GenerationStatus as Status


def _completed_of(user_id: int) -> ColumnElement[bool]:
    return and_(Generation.user_id == user_id, Generation.status == Status.COMPLETED)


def _newer_than(anchor: Generation) -> ColumnElement[bool]:
    return or_(
        Generation.created_at > anchor.created_at,
        and_(Generation.created_at == anchor.created_at, Generation.id > anchor.id),
    )


def _older_than(anchor: Generation) -> ColumnElement[bool]:
    return or_(
        Generation.created_at < anchor.created_at,
        and_(Generation.created_at == anchor.created_at, Generation.id < anchor.id),
    )


async def get_completed(
    session: AsyncSession, *, user_id: int, gen_id: str, lock: bool = False
) -> Generation | None:
    """A completed avatar of this user; `lock` holds it against a concurrent delete."""
    query = select(Generation).where(Generation.id == gen_id, _completed_of(user_id))
    return await session.scalar(query.with_for_update() if lock else query)


async def newest(session: AsyncSession, *, user_id: int) -> Generation | None:
    return await session.scalar(
        select(Generation)
        .where(_completed_of(user_id))
        .order_by(Generation.created_at.desc(), Generation.id.desc())
        .limit(1)
    )


async def neighbour(
    session: AsyncSession, *, user_id: int, anchor: Generation, older: bool
) -> Generation | None:
    """The completed avatar right after (`older`) or right before `anchor`, newest first."""
    if older:
        where, order = _older_than(anchor), (Generation.created_at.desc(), Generation.id.desc())
    else:
        where, order = _newer_than(anchor), (Generation.created_at.asc(), Generation.id.asc())
    return await session.scalar(
        select(Generation).where(_completed_of(user_id), where).order_by(*order).limit(1)
    )


async def position_and_total(
    session: AsyncSession, *, user_id: int, item: Generation
) -> tuple[int, int]:
    """Zero-based index of `item` in the newest-first order and the gallery's size, at once."""
    newer, total = (
        await session.execute(
            select(func.count().filter(_newer_than(item)), func.count()).where(
                _completed_of(user_id)
            )
        )
    ).one()
    return int(newer or 0), int(total or 0)


async def count_completed(session: AsyncSession, user_id: int) -> int:
    total = await session.scalar(
        select(func.count()).select_from(Generation).where(_completed_of(user_id))
    )
    return int(total or 0)


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


async def set_file_id(session: AsyncSession, *, user_id: int, gen_id: str, file_id: str) -> None:
    await session.execute(
        update(Generation)
        .where(Generation.id == gen_id, Generation.user_id == user_id)
        .values(telegram_file_id=file_id)
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


async def original_in_use(session: AsyncSession, *, user_id: int, key: str) -> bool:
    """True while any generation (another take on the same photo) still needs this original."""
    found = await session.scalar(
        select(Generation.id)
        .where(Generation.user_id == user_id, Generation.original_key == key)
        .limit(1)
    )
    return found is not None


async def last_completed_at(session: AsyncSession, user_id: int) -> datetime | None:
    return await session.scalar(
        select(func.max(Generation.completed_at)).where(_completed_of(user_id))
    )
