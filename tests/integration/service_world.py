"""The core wired together for tests: real database, in-memory blobs, model and delivery."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core import users
from core.clock import utcnow
from core.db import unit_of_work
from core.delivery_port import JobPolicy
from core.events import JobEvents
from core.jobs import JobRunner
from core.models import Generation, LedgerEntry, User
from core.services.accounts import AccountService, Pricing
from core.services.gallery import GalleryService
from core.services.submissions import PhotoSubmission, SubmissionService
from core.workers import WorkerPool
from tests.fakes import images
from tests.fakes.blobs import FakeBlobStore
from tests.fakes.delivery import FakeDelivery
from tests.fakes.image_model import FakeImageModel


@dataclass
class World:
    sessions: async_sessionmaker[AsyncSession]
    accounts: AccountService
    submissions: SubmissionService
    gallery: GalleryService
    runner: JobRunner
    pool: WorkerPool
    blobs: FakeBlobStore
    model: FakeImageModel
    delivery: FakeDelivery

    async def start_user(self, user_id: int = 1) -> None:
        profile = users.Profile(user_id=user_id, first_name=f"user{user_id}")
        await self.accounts.resolve(profile, register=True)

    def photo(
        self, user_id: int = 1, message_id: int = 1, caption: str | None = None
    ) -> PhotoSubmission:
        return PhotoSubmission(
            user_id=user_id,
            chat_id=user_id,
            source_message_id=message_id,
            image=images.jpeg(320, 240),
            caption=caption,
        )

    async def balance_and_sum(self, user_id: int = 1) -> tuple[int, int]:
        async with unit_of_work(self.sessions) as session:
            balance = await session.scalar(select(User.credits).where(User.id == user_id))
            total = await session.scalar(
                select(func.coalesce(func.sum(LedgerEntry.delta), 0)).where(
                    LedgerEntry.user_id == user_id
                )
            )
        return int(balance or 0), int(total or 0)

    async def statuses(self) -> list[str]:
        async with unit_of_work(self.sessions) as session:
            return list(
                await session.scalars(select(Generation.status).order_by(Generation.created_at))
            )

    async def settled(self, timeout: float = 10.0) -> list[str]:
        """Wait until no generation is queued or running; return all statuses."""
        async with asyncio.timeout(timeout):
            while any(status in ("queued", "running") for status in await self.statuses()):
                await asyncio.sleep(0.02)
        return await self.statuses()

    async def queue_three_users(self) -> list[str]:
        """User 1 queues three photos, then users 2 and 3 one each, created a second apart in
        that order (so "oldest first" is unambiguous on every database); their job ids."""
        for user_id in (1, 2, 3):
            await self.start_user(user_id)
        photos = [self.photo(1, 1), self.photo(1, 2), self.photo(1, 3)]
        photos += [self.photo(2, 1), self.photo(3, 1)]
        ids = [(await self.submissions.submit_photo(p)).generation_id for p in photos]
        async with unit_of_work(self.sessions) as session:
            for offset, gen_id in enumerate(ids):
                await session.execute(
                    update(Generation)
                    .where(Generation.id == gen_id)
                    .values(created_at=utcnow() - timedelta(seconds=60 - offset))
                )
        return ids

    async def ledger_kinds(self, user_id: int = 1) -> list[str]:
        async with unit_of_work(self.sessions) as session:
            return list(
                await session.scalars(
                    select(LedgerEntry.kind)
                    .where(LedgerEntry.user_id == user_id)
                    .order_by(LedgerEntry.id)
                )
            )


@asynccontextmanager
async def make_world(
    sessions: async_sessionmaker[AsyncSession],
    *,
    workers: int = 4,
    max_active: int = 3,
    lease_seconds: float = 30.0,
    max_attempts: int = 3,
    refund_on_failure: bool = True,
    poll_interval: float = 0.05,
) -> AsyncIterator[World]:
    blobs, model, delivery = FakeBlobStore(), FakeImageModel(), FakeDelivery()
    job_policy = JobPolicy(
        lease_seconds=lease_seconds, max_attempts=max_attempts, refund_on_failure=refund_on_failure
    )
    runner = JobRunner(
        sessions=sessions, blobs=blobs, image_model=model, delivery=delivery, policy=job_policy
    )
    pool = WorkerPool(
        sessions=sessions,
        runner=runner,
        policy=job_policy,
        workers=workers,
        sweep_interval=3600,
        poll_interval=poll_interval,
    )
    pricing = Pricing(generation_cost=10, free_credits=30, max_active_per_user=max_active)
    events = JobEvents()
    world = World(
        sessions=sessions,
        accounts=AccountService(sessions=sessions, pricing=pricing, events=events),
        submissions=SubmissionService(
            sessions=sessions, blobs=blobs, pricing=pricing, events=events, workers=pool
        ),
        gallery=GalleryService(sessions=sessions, blobs=blobs),
        runner=runner,
        pool=pool,
        blobs=blobs,
        model=model,
        delivery=delivery,
    )
    try:
        yield world
    finally:
        await pool.stop(grace=1)
