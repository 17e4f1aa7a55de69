"""Tables: users, the credit ledger, generations (durable jobs), payments.

The other tables share `Base`: `core.telegram_tables` (the inbox, chat notices),
`core.album_tables` (albums and their photos) and `core.sharing_tables` (stickers, shares,
broadcasts and their recipients); `migrations/env.py` imports them all.
"""

from __future__ import annotations

import json
from datetime import datetime
from enum import StrEnum, nonmember

from sqlalchemy import (
    BigInteger,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from core.clock import utcnow

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# SQLite only auto-increments INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit identity.
AutoId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    username: Mapped[str | None] = mapped_column(String(64))
    first_name: Mapped[str] = mapped_column(String(128), default="")
    last_name: Mapped[str | None] = mapped_column(String(128))
    language_code: Mapped[str | None] = mapped_column(String(16))
    language: Mapped[str | None] = mapped_column(String(8))
    credits: Mapped[int] = mapped_column(Integer, default=0)
    style: Mapped[str] = mapped_column(String(32), default="superhero")
    referral_code: Mapped[str] = mapped_column(String(16), unique=True)
    referred_by: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="SET NULL")
    )
    blocked_at: Mapped[datetime | None] = mapped_column(DateTime)  # a send answered 403
    sticker_set: Mapped[str | None] = mapped_column(String(64))  # their pack, once created
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class LedgerEntry(Base):
    __tablename__ = "credit_ledger"
    __table_args__ = (Index("ix_credit_ledger_user_created", "user_id", "created_at"),)

    id: Mapped[int] = mapped_column(AutoId, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), index=False
    )
    delta: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    reference: Mapped[str | None] = mapped_column(String(128))
    idempotency_key: Mapped[str] = mapped_column(String(160), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Generation(Base):
    __tablename__ = "generations"
    __table_args__ = (
        UniqueConstraint("chat_id", "source_message_id", name="uq_generations_source"),
        Index("ix_generations_user_created", "user_id", "created_at"),
        Index("ix_generations_status_created", "status", "created_at"),
        Index("ix_generations_user_status", "user_id", "status"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"))
    chat_id: Mapped[int] = mapped_column(BigInteger)
    source_message_id: Mapped[int] = mapped_column(BigInteger)
    status_message_id: Mapped[int | None] = mapped_column(BigInteger)
    result_message_id: Mapped[int | None] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16))
    style: Mapped[str] = mapped_column(String(32))
    prompt_extra: Mapped[str | None] = mapped_column(Text)
    aspect_ratio: Mapped[str] = mapped_column(String(8), default="1:1")
    original_key: Mapped[str] = mapped_column(String(128))
    result_key: Mapped[str | None] = mapped_column(String(128))
    telegram_file_id: Mapped[str | None] = mapped_column(String(256))
    credits_used: Mapped[int] = mapped_column(Integer)
    model_cost: Mapped[float | None] = mapped_column(Float)
    model: Mapped[str | None] = mapped_column(String(128))  # the model that answered
    error_code: Mapped[str | None] = mapped_column(String(48))
    error_message: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lease_until: Mapped[datetime | None] = mapped_column(DateTime)
    # The process instance holding the lease: a restart of the same instance reclaims at once.
    claimed_by: Mapped[str | None] = mapped_column(String(128))
    # What became of the send: None (not tried), sending, sent, unconfirmed (see DeliveryState).
    delivery: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(DateTime)
    # An edit's parent avatar (the one replied to). History, not a constraint: the edit keeps
    # its own copy of the parent's image, so deleting the parent leaves the edit whole.
    parent_id: Mapped[str | None] = mapped_column(String(32))
    # More photos of the same person after `original_key` (an album's "one avatar from all"),
    # a JSON list of blob keys this row owns like its original.
    extra_original_keys: Mapped[str | None] = mapped_column(Text)

    @property
    def original_keys(self) -> list[str]:
        """Every input photo this job owns, `original_key` first."""
        extra = json.loads(self.extra_original_keys) if self.extra_original_keys else []
        return [self.original_key, *(str(key) for key in extra)]


class GenerationStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    ACTIVE = nonmember(("queued", "running"))  # not a state: the two a job can still leave


class DeliveryState:
    """How far the avatar got towards the user; `SENDING`, `RESENDING` and `UNCONFIRMED` may
    have arrived."""

    SENDING = "sending"  # a sendPhoto went out and its outcome is not recorded yet
    RESENDING = "resending"  # the send was cut off by a crash; the one labelled re-send is out
    SENT = "sent"  # Telegram confirmed it: file_id and message id are recorded
    UNCONFIRMED = "unconfirmed"  # the answer never came: maybe delivered, never refunded


class Payment(Base):
    """A Telegram Stars purchase: what was paid for, so it can be reported and refunded.

    The credits themselves move through the ledger (key `purchase:<charge id>`, a refund
    `purchase_refund:<charge id>`); this row keeps what the ledger cannot: the Stars paid, the
    pack, and whether Telegram refunded it. It is committed on its own before the credit
    (`credited_at` still empty), so a payment whose crediting fails is never lost.
    """

    __tablename__ = "payments"
    __table_args__ = (Index("ix_payments_user_created", "user_id", "created_at"),)

    id: Mapped[int] = mapped_column(AutoId, primary_key=True, autoincrement=True)
    charge_id: Mapped[str] = mapped_column(String(255), unique=True)
    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"))
    pack_id: Mapped[str] = mapped_column(String(16))
    credits: Mapped[int] = mapped_column(Integer)
    stars: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    refunded_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Credits of the pack the buyer had already spent when it was refunded (not taken back).
    refund_shortfall: Mapped[int | None] = mapped_column(Integer)
    payload: Mapped[str | None] = mapped_column(String(128))  # the signed invoice payload
    credited_at: Mapped[datetime | None] = mapped_column(DateTime)
    notified_at: Mapped[datetime | None] = mapped_column(DateTime)  # buyer told of the credit
