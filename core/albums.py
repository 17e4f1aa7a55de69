"""The album repository: an album's row and its stored photos, from the first part to a choice.

Telegram sends each photo of an album as its own update. Each is stored as it arrives (the
album row is its lock); once no part came for a quiet period, exactly one process claims the
album and asks the user. A part that comes after the question reopens the album, so it is
asked again with every photo; a choice is fenced by the album's status.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.album_tables import Album, AlbumPart
from core.clock import utcnow

MAX_ALBUM_PHOTOS = 4  # more photos of one face stop helping the model (product.md §12)
# A process that claimed an album to ask it and died: another asks after this long.
ASKING_STUCK = timedelta(seconds=30)


class AlbumStatus:
    COLLECTING = "collecting"
    OVERFLOW = "overflow"  # still arriving, but past MAX_ALBUM_PHOTOS: it ends in a hint
    ASKING = "asking"
    ASKED = "asked"
    CHOSEN = "chosen"
    TOO_MANY = "too_many"
    OPEN = (COLLECTING, OVERFLOW, ASKING, ASKED)  # a new part is still welcome


async def part_exists(session: AsyncSession, *, chat_id: int, message_id: int) -> bool:
    found = await session.scalar(
        select(AlbumPart.id).where(AlbumPart.chat_id == chat_id, AlbumPart.message_id == message_id)
    )
    return found is not None


async def find(
    session: AsyncSession, *, chat_id: int, media_group_id: str, lock: bool = False
) -> Album | None:
    query = select(Album).where(Album.chat_id == chat_id, Album.media_group_id == media_group_id)
    return await session.scalar(query.with_for_update() if lock else query)


async def open_album(
    session: AsyncSession, *, user_id: int, chat_id: int, media_group_id: str
) -> None:
    """Insert the album row; the caller's transaction fails on the unique key if another
    part's handler inserted it first (that is fine: the row exists either way)."""
    session.add(
        Album(
            id=uuid.uuid4().hex,
            user_id=user_id,
            chat_id=chat_id,
            media_group_id=media_group_id,
            status=AlbumStatus.COLLECTING,
        )
    )
    await session.flush()


async def count_parts(session: AsyncSession, album_id: str) -> int:
    total = await session.scalar(
        select(func.count()).select_from(AlbumPart).where(AlbumPart.album_id == album_id)
    )
    return int(total or 0)


async def parts_of(session: AsyncSession, album_id: str) -> list[AlbumPart]:
    """The album's photos in the order the user arranged them (message ids are assigned so)."""
    rows = await session.scalars(
        select(AlbumPart).where(AlbumPart.album_id == album_id).order_by(AlbumPart.message_id)
    )
    return list(rows)


def reopen(album: Album, *, overflow: bool) -> None:
    """A part arrived: the quiet period starts again, and a question already sent is stale."""
    now = utcnow()
    album.last_part_at = now
    album.updated_at = now
    album.status = AlbumStatus.OVERFLOW if overflow else AlbumStatus.COLLECTING


async def claim_due(
    session: AsyncSession, *, quiet: timedelta, limit: int = 50
) -> list[tuple[Album, str]]:
    """Albums whose parts went quiet (or whose asker died), each with its status before the
    claim; each one's status moves so exactly one caller gets it."""
    now = utcnow()
    settled = Album.last_part_at < now - quiet
    due = or_(
        Album.status.in_((AlbumStatus.COLLECTING, AlbumStatus.OVERFLOW)) & settled,
        (Album.status == AlbumStatus.ASKING) & (Album.updated_at < now - ASKING_STUCK),
    )
    candidates = (
        await session.execute(select(Album.id, Album.status).where(due).limit(limit))
    ).all()
    claimed: list[tuple[Album, str]] = []
    for album_id, before in candidates:
        after = AlbumStatus.TOO_MANY if before == AlbumStatus.OVERFLOW else AlbumStatus.ASKING
        result = await session.execute(
            update(Album)
            .where(Album.id == album_id, Album.status == before, due)
            .values(status=after, updated_at=now)
        )
        if result.rowcount:  # type: ignore[attr-defined]
            album = await session.get(Album, album_id, populate_existing=True)
            if album is not None:
                claimed.append((album, before))
    return claimed


async def mark_asked(session: AsyncSession, *, album_id: str, question_message_id: int) -> None:
    """Remember the question (to remove it if the album reopens); `asked` unless reopened."""
    await session.execute(
        update(Album)
        .where(Album.id == album_id)
        .values(question_message_id=question_message_id, updated_at=utcnow())
    )
    await session.execute(
        update(Album)
        .where(Album.id == album_id, Album.status == AlbumStatus.ASKING)
        .values(status=AlbumStatus.ASKED)
    )


async def get_owned(
    session: AsyncSession, *, user_id: int, album_id: str, lock: bool = False
) -> Album | None:
    query = select(Album).where(Album.id == album_id, Album.user_id == user_id)
    return await session.scalar(query.with_for_update() if lock else query)


async def drop_parts(session: AsyncSession, album_id: str) -> None:
    await session.execute(delete(AlbumPart).where(AlbumPart.album_id == album_id))


async def stale(session: AsyncSession, *, before: datetime, limit: int = 100) -> list[str]:
    rows = await session.scalars(select(Album.id).where(Album.updated_at < before).limit(limit))
    return list(rows)


async def part_keys(session: AsyncSession, album_ids: list[str]) -> list[str]:
    rows = await session.scalars(
        select(AlbumPart.original_key).where(AlbumPart.album_id.in_(album_ids))
    )
    return list(rows)


async def delete_albums(session: AsyncSession, album_ids: list[str]) -> None:
    await session.execute(delete(AlbumPart).where(AlbumPart.album_id.in_(album_ids)))
    await session.execute(delete(Album).where(Album.id.in_(album_ids)))
