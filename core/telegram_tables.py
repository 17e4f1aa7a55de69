"""Tables of what Telegram sent: the stored updates (the durable inbox) and the group chats
answered once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.clock import utcnow
from core.models import Base


class TelegramUpdate(Base):
    """An update from Telegram, stored before its offset is confirmed (the durable inbox).

    `payload` is the raw JSON as Telegram sent it; a row is claimed with a lease while a
    receiver processes it, and pruned some days after it ended (`done` or given up).
    """

    __tablename__ = "telegram_updates"
    __table_args__ = (Index("ix_telegram_updates_status_id", "status", "update_id"),)

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    payload: Mapped[str] = mapped_column(Text)
    chat_id: Mapped[int | None] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(8), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)


class ChatNotice(Base):
    """A group, supergroup or channel the bot has answered once ("talk to me privately").

    Durable so that several processes and restarts still answer each such chat at most once:
    the row is inserted before the answer is sent (a lost answer is never repeated).
    """

    __tablename__ = "chat_notices"

    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
