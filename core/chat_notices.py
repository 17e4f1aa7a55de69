"""Chats outside private ones (groups, channels) answered once, across processes and restarts.

Product rule (docs/product.md, "Private chats only"): such a chat gets at most one short
answer pointing to the private chat. The claim is an INSERT keyed by the chat id, committed
before the answer is sent: whoever inserts first answers, every later update (another
process, a redelivery, a restart) finds the row and stays silent. An answer lost in flight
is not repeated, which is the safe side of "at most once".
"""

from __future__ import annotations

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import is_postgres
from core.telegram_tables import ChatNotice


async def claim_notice(session: AsyncSession, chat_id: int) -> bool:
    """True for the first claim of this chat ever; False when it was answered already."""
    insert = pg_insert if is_postgres(session) else sqlite_insert
    inserted = await session.execute(
        insert(ChatNotice)
        .values(chat_id=chat_id)
        .on_conflict_do_nothing(index_elements=[ChatNotice.chat_id])
        .returning(ChatNotice.chat_id)
    )
    return inserted.scalar_one_or_none() is not None
