"""The durable inbox: Telegram updates stored before their offset is confirmed.

A receiver stores each fetched batch (or webhook POST) in one transaction, claimed by itself
with a lease, and only then lets Telegram forget it. A row is `pending` until its processing
returned (`done`) or its attempts ran out (`failed`); a receiver that died leaves its claimed
rows to whoever claims after the lease. On PostgreSQL `FOR UPDATE SKIP LOCKED` keeps two
receivers from claiming the same row; on SQLite `BEGIN IMMEDIATE` serialises claims.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import utcnow
from core.db import is_postgres
from core.telegram_tables import TelegramUpdate

PENDING = "pending"
DONE = "done"
FAILED = "failed"

RawUpdate = dict[str, Any]


@dataclass(frozen=True, slots=True)
class StoredUpdate:
    update_id: int
    payload: RawUpdate
    chat_id: int | None  # updates of one chat are processed in update_id order
    attempts: int


def chat_of(raw: RawUpdate) -> int | None:
    """The chat an update belongs to; None for chat-less ones (pre-checkout, inline...)."""
    for key, value in raw.items():
        if key == "update_id" or not isinstance(value, dict):
            continue
        chat = value.get("chat")
        if chat is None and isinstance(value.get("message"), dict):
            chat = value["message"].get("chat")  # a callback query's message
        if isinstance(chat, dict) and isinstance(chat.get("id"), int):
            return int(chat["id"])
    return None


async def store(
    session: AsyncSession, raws: Sequence[RawUpdate], *, owner: str, lease_seconds: float
) -> list[StoredUpdate]:
    """Insert the updates not stored yet, already claimed by `owner`; return those.

    A redelivered update_id inserts nothing (ON CONFLICT DO NOTHING) and is not returned, so
    whoever stored it first stays the only one processing it.
    """
    if not raws:
        return []
    now = utcnow()
    rows = [
        {
            "update_id": int(raw["update_id"]),
            "payload": json.dumps(raw, ensure_ascii=False, separators=(",", ":")),
            "chat_id": chat_of(raw),
            "status": PENDING,
            "attempts": 1,
            "claimed_by": owner,
            "lease_until": now + timedelta(seconds=lease_seconds),
            "created_at": now,
        }
        for raw in {int(r["update_id"]): r for r in raws}.values()
    ]
    insert = pg_insert if is_postgres(session) else sqlite_insert
    query = (
        insert(TelegramUpdate)
        .values(rows)
        .on_conflict_do_nothing(index_elements=[TelegramUpdate.update_id])
        .returning(TelegramUpdate.update_id)
    )
    fresh = set((await session.execute(query)).scalars())
    by_id = {int(raw["update_id"]): raw for raw in raws}
    return [StoredUpdate(uid, by_id[uid], chat_of(by_id[uid]), 1) for uid in sorted(fresh)]


async def claim(
    session: AsyncSession, *, owner: str, lease_seconds: float, limit: int, max_attempts: int
) -> tuple[list[StoredUpdate], list[int]]:
    """Lease pending updates nobody holds (never claimed or lease run out), oldest first.

    Returns (claimed, given up): an update whose attempts are used up (say, one that kept
    killing its receiver) is marked failed instead of claimed again.
    """
    now = utcnow()
    query = (
        select(TelegramUpdate)
        .where(
            TelegramUpdate.status == PENDING,
            or_(TelegramUpdate.lease_until.is_(None), TelegramUpdate.lease_until < now),
        )
        .order_by(TelegramUpdate.update_id)
        .limit(limit)
    )
    if is_postgres(session):
        query = query.with_for_update(skip_locked=True)
    claimed: list[StoredUpdate] = []
    given_up: list[int] = []
    for row in await session.scalars(query):
        if row.attempts >= max_attempts:
            row.status, row.finished_at, row.lease_until, row.claimed_by = FAILED, now, None, None
            given_up.append(row.update_id)
            continue
        row.attempts += 1
        row.claimed_by = owner
        row.lease_until = now + timedelta(seconds=lease_seconds)
        claimed.append(
            StoredUpdate(row.update_id, json.loads(row.payload), row.chat_id, row.attempts)
        )
    await session.flush()
    return claimed, given_up


async def finish(session: AsyncSession, update_ids: Sequence[int]) -> None:
    """Processing returned: done, whoever holds the lease now (processing is idempotent)."""
    if update_ids:
        await session.execute(
            update(TelegramUpdate)
            .where(TelegramUpdate.update_id.in_(update_ids), TelegramUpdate.status == PENDING)
            .values(status=DONE, finished_at=utcnow(), lease_until=None, claimed_by=None)
        )


async def retry_later(
    session: AsyncSession, *, update_id: int, owner: str, delay_seconds: float, max_attempts: int
) -> bool:
    """Processing raised: free the update for a later attempt; True when attempts ran out
    and it was given up (marked failed) instead."""
    row = await session.get(TelegramUpdate, update_id, populate_existing=True)
    if row is None or row.status != PENDING or row.claimed_by != owner:
        return False
    if row.attempts >= max_attempts:
        row.status, row.finished_at, row.lease_until, row.claimed_by = FAILED, utcnow(), None, None
        return True
    row.claimed_by = None
    row.lease_until = utcnow() + timedelta(seconds=delay_seconds)
    return False


async def release(session: AsyncSession, update_ids: Sequence[int], *, owner: str) -> None:
    """Hand back updates claimed but never started (a clean shutdown): claimable at once,
    and the attempt is not counted."""
    if update_ids:
        await session.execute(
            update(TelegramUpdate)
            .where(
                TelegramUpdate.update_id.in_(update_ids),
                TelegramUpdate.status == PENDING,
                TelegramUpdate.claimed_by == owner,
            )
            .values(claimed_by=None, lease_until=None, attempts=TelegramUpdate.attempts - 1)
        )


async def renew(
    session: AsyncSession, update_ids: Sequence[int], *, owner: str, lease_seconds: float
) -> None:
    """Extend the lease of updates this receiver still holds (a heartbeat)."""
    if update_ids:
        await session.execute(
            update(TelegramUpdate)
            .where(
                TelegramUpdate.update_id.in_(update_ids),
                TelegramUpdate.status == PENDING,
                TelegramUpdate.claimed_by == owner,
            )
            .values(lease_until=utcnow() + timedelta(seconds=lease_seconds))
        )


async def prune(session: AsyncSession, *, finished_before: datetime) -> int:
    """Delete updates that ended before the retention cut-off; returns how many."""
    result = await session.execute(
        delete(TelegramUpdate).where(
            TelegramUpdate.status.in_((DONE, FAILED)),
            TelegramUpdate.finished_at < finished_before,
        )
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def statuses(session: AsyncSession) -> dict[int, str]:
    """update_id → status, for operators and tests."""
    rows = await session.execute(select(TelegramUpdate.update_id, TelegramUpdate.status))
    return {int(uid): str(status) for uid, status in rows}
