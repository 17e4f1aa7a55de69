"""What a user may share through inline mode: their own delivered avatars, newest first.

Pages are cut by a keyset cursor, `<created_at µs, base 36>.<generation id>`, handed to
Telegram as `next_offset` and back in the next query. The cursor is only a position: every
query is scoped by the asking user's id, so a forged or foreign cursor finds none of anyone
else's avatars. Avatars without a Telegram file_id (maybe-delivered) cannot be shared.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.models import Generation
from core.models import GenerationStatus as Status
from core.sharing_tables import Share

_CURSOR = re.compile(r"([0-9a-z]{1,14})\.([0-9a-f]{32})")
_EPOCH = datetime(1970, 1, 1)
ID_PREFIX = re.compile(r"[0-9a-f]{8,32}")


def cursor_after(row: Generation) -> str:
    micros = (row.created_at - _EPOCH) // timedelta(microseconds=1)
    return f"{_base36(micros)}.{row.id}"


def parse_cursor(text: str) -> tuple[datetime, str] | None:
    """The position a cursor names, or None for anything this module did not make."""
    found = _CURSOR.fullmatch(text)
    if found is None:
        return None
    micros = int(found.group(1), 36)
    if micros > (datetime(9999, 1, 1) - _EPOCH) // timedelta(microseconds=1):
        return None
    return _EPOCH + timedelta(microseconds=micros), found.group(2)


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    text = ""
    while True:
        number, rest = divmod(number, 36)
        text = digits[rest] + text
        if number == 0:
            return text


async def shareable(
    session: AsyncSession,
    *,
    user_id: int,
    styles: frozenset[str] | None,
    id_prefix: str | None,
    after: tuple[datetime, str] | None,
    limit: int,
) -> list[Generation]:
    """Up to `limit` of this user's shareable avatars after the cursor position."""
    query = select(Generation).where(
        Generation.user_id == user_id,
        Generation.status == Status.COMPLETED,
        Generation.telegram_file_id.is_not(None),
    )
    if styles is not None:
        query = query.where(Generation.style.in_(sorted(styles)))
    if id_prefix is not None:
        query = query.where(Generation.id.startswith(id_prefix, autoescape=True))
    if after is not None:
        created_at, gen_id = after
        query = query.where(
            or_(
                Generation.created_at < created_at,
                and_(Generation.created_at == created_at, Generation.id < gen_id),
            )
        )
    query = query.order_by(Generation.created_at.desc(), Generation.id.desc()).limit(limit)
    return list(await session.scalars(query))


async def record_share(session: AsyncSession, *, user_id: int, gen_id: str) -> bool:
    """Counts a share of the user's own avatar; anything else is ignored."""
    owned = await session.scalar(
        select(Generation.id).where(Generation.id == gen_id, Generation.user_id == user_id)
    )
    if owned is None:
        return False
    session.add(Share(user_id=user_id, generation_id=gen_id))
    return True


async def shares_since(session: AsyncSession, since: datetime) -> int:
    count = await session.scalar(
        select(func.count()).select_from(Share).where(Share.created_at >= since)
    )
    return int(count or 0)
