"""Tables of albums: photos sent together, assembled as their updates arrive, and each stored
photo of one."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.clock import utcnow
from core.models import AutoId, Base


class Album(Base):
    """Photos sent together (one Telegram `media_group_id`), assembled as their updates arrive.

    `collecting` until the parts go quiet, `asking` while one process sends the question,
    `asked` until the user picks, then `chosen`; `too_many` when the user sent more than we take.
    """

    __tablename__ = "albums"
    __table_args__ = (
        UniqueConstraint("chat_id", "media_group_id", name="uq_albums_group"),
        Index("ix_albums_status_last_part", "status", "last_part_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"))
    chat_id: Mapped[int] = mapped_column(BigInteger)
    media_group_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    question_message_id: Mapped[int | None] = mapped_column(BigInteger)
    last_part_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class AlbumPart(Base):
    """One stored photo of an album: its original is in the blob store from the moment it came."""

    __tablename__ = "album_parts"
    __table_args__ = (
        UniqueConstraint("chat_id", "message_id", name="uq_album_parts_message"),
        Index("ix_album_parts_album", "album_id"),
    )

    id: Mapped[int] = mapped_column(AutoId, primary_key=True, autoincrement=True)
    album_id: Mapped[str] = mapped_column(String(32), ForeignKey("albums.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"))
    chat_id: Mapped[int] = mapped_column(BigInteger)
    media_group_id: Mapped[str] = mapped_column(String(64))
    message_id: Mapped[int] = mapped_column(BigInteger)
    file_id: Mapped[str] = mapped_column(String(256))
    original_key: Mapped[str] = mapped_column(String(128))
    aspect_ratio: Mapped[str] = mapped_column(String(8))
    caption: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
