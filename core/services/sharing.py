"""Sharing avatars through inline mode: the user's own avatars, a page at a time, and shares.

The bot turns `@bot <text>` into styles (style ids and their localised names) or an `id:`
prefix (the ↗️ Share button's query); this service answers with the asking user's avatars
only, whatever the text or the offset say.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core import sharing
from core.db import unit_of_work

log = logging.getLogger(__name__)

PAGE_SIZE = 50  # Telegram's maximum results per answer


@dataclass(frozen=True, slots=True, kw_only=True)
class SharedAvatar:
    generation_id: str
    file_id: str
    style: str


@dataclass(frozen=True, slots=True, kw_only=True)
class InlinePage:
    avatars: list[SharedAvatar]
    next_offset: str  # "" when this is the last page


@dataclass(frozen=True, slots=True, kw_only=True)
class InlineQuery:
    """What the user asked for: all avatars, some styles, or one avatar by id prefix."""

    styles: frozenset[str] | None = None
    id_prefix: str | None = None


def share_query(gen_id: str) -> str:
    """The inline query that selects exactly this avatar (the ↗️ Share button's)."""
    return f"id:{gen_id[:12]}"


def parse_id_query(text: str) -> str | None:
    """The id prefix of an `id:<hex>` query, None for any other text."""
    if not text.startswith("id:"):
        return None
    prefix = text[3:].strip().lower()
    return prefix if sharing.ID_PREFIX.fullmatch(prefix) else ""


class ShareService:
    def __init__(self, *, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def inline_page(self, *, user_id: int, query: InlineQuery, offset: str) -> InlinePage:
        """One page of the user's shareable avatars; a malformed offset starts nowhere."""
        after = sharing.parse_cursor(offset) if offset else None
        if offset and after is None:
            return InlinePage(avatars=[], next_offset="")
        if query.id_prefix == "" or query.styles == frozenset():
            return InlinePage(avatars=[], next_offset="")
        async with unit_of_work(self._sessions) as session:
            rows = await sharing.shareable(
                session,
                user_id=user_id,
                styles=query.styles,
                id_prefix=query.id_prefix,
                after=after,
                limit=PAGE_SIZE + 1,
            )
        page = rows[:PAGE_SIZE]
        more = len(rows) > PAGE_SIZE
        return InlinePage(
            avatars=[
                SharedAvatar(generation_id=r.id, file_id=r.telegram_file_id or "", style=r.style)
                for r in page
            ],
            next_offset=sharing.cursor_after(page[-1]) if more else "",
        )

    async def record_share(self, *, user_id: int, result_id: str) -> bool:
        """A chosen inline result: counted when it names one of the user's avatars."""
        async with unit_of_work(self._sessions) as session:
            counted = await sharing.record_share(session, user_id=user_id, gen_id=result_id)
        if counted:
            log.info("avatar shared", extra={"generation_id": result_id, "user_id": user_id})
        return counted

    async def shares_since(self, since: datetime) -> int:
        async with unit_of_work(self._sessions) as session:
            return await sharing.shares_since(session, since)
