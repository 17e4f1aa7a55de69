"""Sticker rows: one per avatar, claimed before Telegram is asked (so a second press while the
first runs makes no second sticker), with a lease so a crash mid-way frees it again."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import is_postgres
from core.errors import NotFound
from core.models import User
from core.sharing_tables import Sticker


class StickerState:
    MAKING = "making"
    DONE = "done"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class Claim:
    """`claimed`: this caller makes attempt `attempt`; `done`: the sticker exists (file_id);
    `busy`: another attempt holds a live lease. `abandoned` names an attempt that died."""

    outcome: str
    sticker_id: int
    attempt: int
    file_id: str | None = None
    set_name: str | None = None
    abandoned: int | None = None


async def claim(
    session: AsyncSession, *, user_id: int, gen_id: str, now: datetime, lease: timedelta
) -> Claim:
    insert = pg_insert if is_postgres(session) else sqlite_insert
    await session.execute(
        insert(Sticker)
        .values(
            user_id=user_id,
            generation_id=gen_id,
            state=StickerState.MAKING,
            attempts=0,
            lease_until=now,
        )
        .on_conflict_do_nothing(index_elements=[Sticker.generation_id])
    )
    row = await session.scalar(
        select(Sticker).where(Sticker.generation_id == gen_id).with_for_update()
    )
    if row is None or row.user_id != user_id:  # the caller checked ownership; never trust it
        raise NotFound(f"no avatar {gen_id} for this user")
    if row.state == StickerState.DONE:
        return Claim("done", row.id, row.attempts, row.file_id, row.set_name)
    live = row.state == StickerState.MAKING and row.attempts > 0 and (row.lease_until or now) > now
    if live:
        return Claim("busy", row.id, row.attempts)
    died = row.attempts if row.state == StickerState.MAKING and row.attempts > 0 else None
    row.attempts += 1
    row.state = StickerState.MAKING
    row.lease_until = now + lease
    await session.flush()
    return Claim("claimed", row.id, row.attempts, abandoned=died)


async def finish(
    session: AsyncSession, *, sticker_id: int, user_id: int, file_id: str, set_name: str
) -> None:
    await session.execute(
        update(Sticker)
        .where(Sticker.id == sticker_id)
        .values(state=StickerState.DONE, file_id=file_id, set_name=set_name, lease_until=None)
    )
    await session.execute(update(User).where(User.id == user_id).values(sticker_set=set_name))


async def fail(session: AsyncSession, *, sticker_id: int) -> None:
    await session.execute(
        update(Sticker)
        .where(Sticker.id == sticker_id)
        .values(state=StickerState.FAILED, lease_until=None)
    )


async def pack_of(session: AsyncSession, user_id: int) -> str | None:
    return await session.scalar(select(User.sticker_set).where(User.id == user_id))
