"""The broadcast job on SQLite and PostgreSQL with a fake sender: each reachable user gets the
copy at most once, 403s mark users blocked, 429s wait and retry, a crash's in-flight send is
written off rather than repeated, and one broadcast runs at a time."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core import broadcast_recipients, broadcasts, users
from core.broadcast_recipients import Recipient
from core.broadcast_runner import BroadcastRunner
from core.broadcasts import BroadcastReport
from core.clock import utcnow
from core.db import unit_of_work
from core.errors import DeliveryError, RecipientBlocked, SendFlood
from core.models import User
from core.sharing_tables import BroadcastRecipient

Sessions = async_sessionmaker[AsyncSession]


class FakeSender:
    def __init__(self, *, blocked: set[int] = frozenset(), floods: int = 0) -> None:  # type: ignore[assignment]
        self.blocked = set(blocked)
        self.floods = floods
        self.failing: set[int] = set()
        self.copies: list[int] = []
        self.reports: list[BroadcastReport] = []
        self.final: list[BroadcastReport] = []

    async def copy(self, *, chat_id: int, from_chat_id: int, message_id: int) -> None:
        assert (from_chat_id, message_id) == (1, 77)
        if self.floods:
            self.floods -= 1
            raise SendFlood(0.05)
        if chat_id in self.blocked:
            raise RecipientBlocked()
        if chat_id in self.failing:
            raise DeliveryError("chat not found", permanent=True)
        self.copies.append(chat_id)

    async def progress(self, report: BroadcastReport) -> None:
        self.reports.append(report)

    async def finished(self, report: BroadcastReport) -> None:
        self.final.append(report)


async def make_users(sessions: Sessions, ids: range) -> None:
    async with unit_of_work(sessions) as session:
        for user_id in ids:
            await users.register(
                session,
                profile=users.Profile(user_id=user_id, first_name=f"u{user_id}"),
                free_credits=0,
            )


async def start_broadcast(sessions: Sessions, message_id: int = 77) -> int:
    async with unit_of_work(sessions) as session:
        job = await broadcasts.create(
            session,
            admin_id=1,
            source_chat_id=1,
            source_message_id=message_id,
            progress_message_id=5,
        )
        return job.id


def runner(sessions: Sessions, sender: FakeSender, **extra: float) -> BroadcastRunner:
    return BroadcastRunner(
        sessions=sessions,
        sender=sender,
        per_second=extra.pop("per_second", 1000.0),
        lease_seconds=extra.pop("lease_seconds", 30.0),
        progress_interval=extra.pop("progress_interval", 0.0),
    )


async def test_everyone_reachable_gets_one_copy_and_blockers_are_marked(sessions: Sessions) -> None:
    await make_users(sessions, range(1, 61))
    async with unit_of_work(sessions) as session:  # already known to have blocked the bot
        await session.execute(update(User).where(User.id > 55).values(blocked_at=utcnow()))
    sender = FakeSender(blocked={10, 20, 30}, floods=2)
    sender.failing = {40}
    broadcast_id = await start_broadcast(sessions)

    assert await runner(sessions, sender).run_once() is True

    assert sorted(sender.copies) == [u for u in range(1, 56) if u not in {10, 20, 30, 40}]
    (final,) = sender.final
    assert (final.total, final.sent, final.blocked, final.failed) == (55, 51, 3, 1)
    assert final.status == "done" and sender.reports
    async with unit_of_work(sessions) as session:
        blocked = await session.scalars(select(User.id).where(User.blocked_at.is_not(None)))
        assert sorted(blocked) == [10, 20, 30, 56, 57, 58, 59, 60]
        assert await broadcasts.running(session) is None
        assert await broadcasts.audience_size(session) == 52
    assert await runner(sessions, sender).run_once() is False  # nothing left to run
    assert broadcast_id


async def test_a_crash_mid_send_is_written_off_never_repeated(sessions: Sessions) -> None:
    await make_users(sessions, range(1, 11))
    broadcast_id = await start_broadcast(sessions)
    async with unit_of_work(sessions) as session:  # a dead process: sent 1-3, was sending 4
        for user_id, state in [(1, "sent"), (2, "sent"), (3, "sent"), (4, "sending")]:
            await broadcast_recipients.move(
                session, broadcast_id, user_id, source=Recipient.PENDING, target=state
            )
        claimed = await broadcasts.claim(session, owner="dead", now=utcnow(), lease=timedelta(0))
        assert claimed is not None
    sender = FakeSender()

    assert await runner(sessions, sender).run_once() is True

    assert sorted(sender.copies) == [5, 6, 7, 8, 9, 10]
    (final,) = sender.final
    assert (final.sent, final.failed) == (9, 1)  # 4 may or may not have arrived
    async with unit_of_work(sessions) as session:
        state = await session.scalar(
            select(BroadcastRecipient.state).where(BroadcastRecipient.user_id == 4)
        )
    assert state == Recipient.UNKNOWN


async def test_a_live_lease_keeps_a_second_process_out(sessions: Sessions) -> None:
    await make_users(sessions, range(1, 4))
    await start_broadcast(sessions)
    async with unit_of_work(sessions) as session:
        assert await broadcasts.claim(session, owner="other", now=utcnow(), lease=timedelta(60))
    sender = FakeSender()
    assert await runner(sessions, sender).run_once() is False
    assert sender.copies == []


async def test_one_broadcast_at_a_time_and_cancel_leaves_the_rest(sessions: Sessions) -> None:
    await make_users(sessions, range(1, 41))
    broadcast_id = await start_broadcast(sessions)
    with pytest.raises(IntegrityError):
        await start_broadcast(sessions, message_id=78)  # the one running slot is taken
    sender = FakeSender()
    run = runner(sessions, sender, per_second=100.0)
    task = asyncio.create_task(run.run_once())
    while len(sender.copies) < 5:
        await asyncio.sleep(0.01)
    async with unit_of_work(sessions) as session:
        assert await broadcasts.finish(session, broadcast_id, status="cancelled", now=utcnow())
    assert await task is True
    async with unit_of_work(sessions) as session:
        counts = await broadcast_recipients.counts(session, broadcast_id)
    assert counts[Recipient.SENT] == len(sender.copies) < 40
    assert counts[Recipient.PENDING] == 40 - len(sender.copies)
    assert sender.final == []
    await start_broadcast(sessions, message_id=79)  # the slot is free again


async def test_a_graceful_stop_finishes_the_copy_in_flight(sessions: Sessions) -> None:
    await make_users(sessions, range(1, 31))
    broadcast_id = await start_broadcast(sessions)
    sender = FakeSender()
    run = runner(sessions, sender, per_second=50.0)
    await run.start()
    while len(sender.copies) < 5:
        await asyncio.sleep(0.01)
    await run.stop()

    async with unit_of_work(sessions) as session:
        counts = await broadcast_recipients.counts(session, broadcast_id)
    assert Recipient.SENDING not in counts and Recipient.UNKNOWN not in counts
    assert counts[Recipient.SENT] == len(sender.copies) < 30
