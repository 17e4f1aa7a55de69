"""Tables of sharing: stickers made of avatars, avatars shared through inline mode, and an
admin's broadcasts with each recipient's copy."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from core.clock import utcnow
from core.models import AutoId, Base


class Sticker(Base):
    """An avatar turned into a sticker: one per avatar, claimed before Telegram is asked, so a
    second press while the first runs finds the row instead of making a second sticker."""

    __tablename__ = "stickers"

    id: Mapped[int] = mapped_column(AutoId, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"))
    generation_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("generations.id", ondelete="CASCADE"), unique=True
    )
    state: Mapped[str] = mapped_column(String(16))  # making | done | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # names each attempt's charge
    set_name: Mapped[str | None] = mapped_column(String(64))
    file_id: Mapped[str | None] = mapped_column(String(256))
    lease_until: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class Broadcast(Base):
    """An admin's message copied to every user. `running` is True while it runs and NULL
    after: a unique column, so the database itself allows one running broadcast."""

    __tablename__ = "broadcasts"
    __table_args__ = (
        UniqueConstraint("source_chat_id", "source_message_id", name="uq_broadcasts_source"),
    )

    id: Mapped[int] = mapped_column(AutoId, primary_key=True, autoincrement=True)
    admin_id: Mapped[int] = mapped_column(BigInteger)
    admin_language: Mapped[str | None] = mapped_column(String(8))  # for the progress reports
    source_chat_id: Mapped[int] = mapped_column(BigInteger)
    source_message_id: Mapped[int] = mapped_column(BigInteger)
    progress_message_id: Mapped[int | None] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16))  # running | done | cancelled
    running: Mapped[bool | None] = mapped_column(Boolean, unique=True)
    total: Mapped[int] = mapped_column(Integer, default=0)
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)


class BroadcastRecipient(Base):
    """One user's copy: pending -> sending -> sent | blocked | failed, each step committed.
    A row left `sending` by a crash may or may not have reached the user; it is never sent
    again (at most once) and counts as `unknown`."""

    __tablename__ = "broadcast_recipients"
    __table_args__ = (Index("ix_broadcast_recipients_state", "broadcast_id", "state"),)

    broadcast_id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"),
        ForeignKey("broadcasts.id", ondelete="CASCADE"),
        primary_key=True,
    )
    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    state: Mapped[str] = mapped_column(String(16))
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class Share(Base):
    """An avatar sent into a chat through inline mode (Telegram's chosen_inline_result)."""

    __tablename__ = "shares"

    id: Mapped[int] = mapped_column(AutoId, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"))
    generation_id: Mapped[str] = mapped_column(String(32))  # kept when the avatar is deleted
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
