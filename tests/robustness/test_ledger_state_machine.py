"""Hypothesis drives the ledger and the job lifecycle in random orders, on SQLite and PostgreSQL.

Rules call the real use cases (register, submit, claim, run, fail, sweep, grant, delete) on a
real database with in-memory blobs, model and delivery; after every step the money must add
up: no negative balance, balance == sum(ledger), a generation charged once and refunded at
most once, and never both completed and refunded.

Hypothesis' stateful runner is synchronous, so each rule runs its coroutine to the end on one
event loop that lives as long as the test. Steps are sequential on purpose: Hypothesis replays
a failing example step by step, and concurrent steps would not replay the same way. Concurrent
charges are tested end to end in test_concurrency.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections import Counter
from collections.abc import Coroutine
from datetime import timedelta
from typing import Any, TypeVar

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import delete, select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from core import generations, ledger, users
from core.clock import utcnow
from core.db import create_engine, create_session_factory, unit_of_work
from core.delivery_port import JobPolicy
from core.errors import ImageModelRefused, ImageModelUnavailable, NotFound, SubmissionRefused
from core.events import JobEvents
from core.jobs import JobRunner
from core.models import Generation, LedgerEntry, User
from core.models import GenerationStatus as Status
from core.services.accounts import AccountService, Pricing
from core.services.gallery import GalleryService
from core.services.submissions import PhotoSubmission, SubmissionService
from core.workers import WorkerPool
from tests.fakes import images
from tests.fakes.blobs import FakeBlobStore
from tests.fakes.delivery import FakeDelivery
from tests.fakes.image_model import FakeImageModel

T = TypeVar("T")
USER_IDS = st.sampled_from([1, 2, 3])
MESSAGE_IDS = st.integers(min_value=1, max_value=8)
PHOTO = images.jpeg(64, 48)
COST = 10
MAX_ACTIVE = 2
MAX_ATTEMPTS = 2


class Driver:
    """One event loop and one engine for the whole test; each example starts from empty tables."""

    def __init__(self, database_url: str) -> None:
        self.loop = asyncio.new_event_loop()
        self.engine: AsyncEngine = create_engine(database_url)
        self.sessions: async_sessionmaker[AsyncSession] = create_session_factory(self.engine)
        self.is_sqlite = database_url.startswith("sqlite")

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return self.loop.run_until_complete(coroutine)

    async def empty_tables(self) -> None:
        async with self.engine.begin() as connection:
            if self.is_sqlite:
                for table in ("generations", "credit_ledger", "users"):
                    await connection.execute(text(f"DELETE FROM {table}"))
            else:
                await connection.execute(text("TRUNCATE users, credit_ledger, generations CASCADE"))

    def close(self) -> None:
        self.run(self.engine.dispose())
        self.loop.close()


class LedgerAndJobs(RuleBasedStateMachine):
    def __init__(self, driver: Driver) -> None:
        super().__init__()
        self.driver = d = driver
        d.run(d.empty_tables())
        self.blobs, self.model, self.delivery = FakeBlobStore(), FakeImageModel(), FakeDelivery()
        policy = JobPolicy(lease_seconds=60, max_attempts=MAX_ATTEMPTS, refund_on_failure=True)
        self.runner = JobRunner(
            sessions=d.sessions,
            blobs=self.blobs,
            image_model=self.model,
            delivery=self.delivery,
            policy=policy,
        )
        self.pool = WorkerPool(sessions=d.sessions, runner=self.runner, policy=policy, workers=0)
        pricing = Pricing(generation_cost=COST, free_credits=30, max_active_per_user=MAX_ACTIVE)
        self.accounts = AccountService(sessions=d.sessions, pricing=pricing, events=JobEvents())
        self.submissions = SubmissionService(
            sessions=d.sessions, blobs=self.blobs, pricing=pricing, events=JobEvents()
        )
        self.gallery = GalleryService(sessions=d.sessions, blobs=self.blobs)
        # The claims a live worker holds: generation id -> the row as claimed (its attempt).
        self.claimed: dict[str, Generation] = {}
        self.statuses: Counter[str] = Counter()  # refreshed after every step

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return self.driver.run(coroutine)

    def has(self, status: str) -> bool:
        return self.statuses[status] > 0

    # --- rules ----------------------------------------------------------------------------------

    @initialize(
        user_ids=st.sets(USER_IDS, min_size=1),
        photos=st.lists(st.tuples(USER_IDS, MESSAGE_IDS), max_size=4),
    )
    def some_users_start_the_bot_and_send_photos(
        self, user_ids: set[int], photos: list[tuple[int, int]]
    ) -> None:
        for user_id in sorted(user_ids):
            self.register(user_id)
        for user_id, message_id in photos:
            self.submit_a_photo(user_id, message_id)

    @rule(user_id=USER_IDS)
    def register(self, user_id: int) -> None:
        profile = users.Profile(user_id=user_id, first_name=f"user{user_id}")
        self.run(self.accounts.resolve(profile, register=True))

    @rule(user_id=USER_IDS, message_id=MESSAGE_IDS)
    def submit_a_photo(self, user_id: int, message_id: int) -> None:
        photo = PhotoSubmission(
            user_id=user_id, chat_id=user_id, source_message_id=message_id, image=PHOTO
        )
        with contextlib.suppress(SubmissionRefused):  # unregistered, too poor, too busy
            self.run(self.submissions.submit_photo(photo))

    @precondition(lambda self: self.has(Status.COMPLETED))
    @rule(data=st.data(), message_id=MESSAGE_IDS)
    def a_user_asks_for_another_take(self, data: st.DataObject, message_id: int) -> None:
        """🔁 under an avatar: a new job on the same stored original (shared, not copied)."""
        gen_id, user_id = data.draw(st.sampled_from(self.run(self._completed())))
        with contextlib.suppress(SubmissionRefused, NotFound):
            self.run(
                self.submissions.submit_again(
                    user_id=user_id,
                    gen_id=gen_id,
                    chat_id=user_id,
                    source_message_id=100 + message_id,
                )
            )

    @precondition(lambda self: self.has(Status.QUEUED))
    @rule()
    def a_worker_claims_a_job(self) -> None:
        job = self.run(self._claim())
        if job is not None:
            self.claimed[job.id] = job

    @precondition(lambda self: self.has(Status.QUEUED))
    @rule(outcome=st.sampled_from(["avatar", "avatar", "refused", "unavailable"]))
    def a_worker_claims_and_finishes_a_job(self, outcome: str) -> None:
        job = self.run(self._claim())
        if job is not None:
            self._script(outcome)
            self.run(self.runner.run(job))

    @precondition(lambda self: self.claimed)
    @rule(data=st.data(), outcome=st.sampled_from(["avatar", "refused", "unavailable"]))
    def a_worker_runs_its_job(self, data: st.DataObject, outcome: str) -> None:
        jobs = sorted(self.claimed.values(), key=lambda j: (j.user_id, j.source_message_id))
        job = self.claimed.pop(data.draw(st.sampled_from(jobs)).id)
        self._script(outcome)
        self.run(self.runner.run(job))

    def _script(self, outcome: str) -> None:
        if outcome == "refused":
            self.model.script(ImageModelRefused("no image"))
        elif outcome == "unavailable":
            self.model.script(ImageModelUnavailable("busy"))

    @rule(data=st.data(), attempt=st.integers(min_value=0, max_value=MAX_ATTEMPTS))
    def a_failure_is_reported_for_any_generation(self, data: st.DataObject, attempt: int) -> None:
        """By the holder of any attempt, current or long gone, also for ended jobs: a late or
        repeated failure must not refund twice, nor fail a job another attempt holds."""
        ids = self.run(self._generation_ids())
        if ids:
            gen_id = data.draw(st.sampled_from(ids))
            self.run(self.runner.fail(gen_id, attempt, ImageModelUnavailable("late failure")))

    @precondition(lambda self: self.has(Status.COMPLETED))
    @rule(data=st.data())
    def a_late_failure_is_reported_for_a_delivered_avatar(self, data: st.DataObject) -> None:
        gen_id, _ = data.draw(st.sampled_from(self.run(self._completed())))
        for attempt in range(MAX_ATTEMPTS + 1):
            self.run(self.runner.fail(gen_id, attempt, ImageModelUnavailable("late failure")))

    @precondition(lambda self: self.has(Status.RUNNING) or self.has(Status.QUEUED))
    @rule(expire=st.booleans())
    def the_sweeper_runs(self, expire: bool) -> None:
        """With `expire`, every worker died: their leases run out before the sweep."""
        if expire:
            self.run(self._expire_leases())
            self.claimed.clear()
        self.run(self.pool.sweep())

    @rule(user_id=USER_IDS, amount=st.integers(min_value=-40, max_value=40))
    def an_admin_adjusts_credits(self, user_id: int, amount: int) -> None:
        async def adjust() -> None:
            async with unit_of_work(self.driver.sessions) as session:
                if await users.find(session, user_id) is None:
                    return
                key = f"admin:{uuid.uuid4().hex}"
                if amount >= 0:
                    await ledger.credit(
                        session, user_id=user_id, amount=amount, kind="admin", key=key
                    )
                else:
                    await ledger.debit_up_to(
                        session, user_id=user_id, amount=-amount, kind="admin", key=key
                    )

        self.run(adjust())

    @precondition(lambda self: self.has(Status.COMPLETED))
    @rule(data=st.data())
    def a_user_deletes_an_avatar(self, data: st.DataObject) -> None:
        owners = self.run(self._completed())
        if owners:
            gen_id, user_id = data.draw(st.sampled_from(owners))
            with contextlib.suppress(NotFound):
                self.run(self.gallery.delete(user_id, gen_id))

    @precondition(lambda self: self.has(Status.COMPLETED) and self.has(Status.FAILED))
    @rule(user_id=USER_IDS)
    def an_account_is_deleted(self, user_id: int) -> None:
        async def remove() -> None:
            async with unit_of_work(self.driver.sessions) as session:
                await session.execute(delete(User).where(User.id == user_id))

        self.run(remove())
        self.claimed = {k: v for k, v in self.claimed.items() if v.user_id != user_id}

    # --- invariants -----------------------------------------------------------------------------

    @invariant()
    def the_books_balance(self) -> None:
        balances, sums, rows, keys = self.run(self._snapshot())
        for user_id, balance in balances.items():
            assert balance >= 0, f"user {user_id} has a negative balance {balance}"
            assert balance == sums.get(user_id, 0), f"user {user_id}: {balance} != ledger"
        counts = Counter(keys)
        for gen_id, _, status in rows:
            assert counts[f"charge:{gen_id}"] == 1, (
                f"{gen_id} charged {counts[f'charge:{gen_id}']}x"
            )
            refunds = counts[f"refund:{gen_id}"]
            assert refunds == (1 if status == Status.FAILED else 0), f"{gen_id} {status}, {refunds}"
        active = Counter(user_id for _, user_id, status in rows if status in Status.ACTIVE)
        assert all(n <= MAX_ACTIVE for n in active.values()), active
        delivered = {avatar.generation_id for avatar in self.delivery.delivered}
        assert not {k.removeprefix("refund:") for k in counts} & delivered, "delivered, refunded"
        self.statuses = Counter(status for _, _, status in rows)  # for the preconditions

    @invariant()
    def every_job_still_has_its_original(self) -> None:
        """Deleting one take never deletes an original another take still uses."""
        missing = set(self.run(self._originals())) - set(self.blobs.blobs)
        assert not missing, f"originals gone while rows use them: {missing}"

    # --- queries --------------------------------------------------------------------------------

    async def _snapshot(
        self,
    ) -> tuple[dict[int, int], dict[int, int], list[tuple[str, int, str]], list[str]]:
        async with unit_of_work(self.driver.sessions) as session:
            balances = dict((await session.execute(select(User.id, User.credits))).all())
            entries = (await session.execute(select(LedgerEntry))).scalars().all()
            query = select(Generation.id, Generation.user_id, Generation.status)
            rows = (await session.execute(query)).all()
        sums: Counter[int] = Counter()
        for entry in entries:
            sums[entry.user_id] += entry.delta
        return balances, dict(sums), list(rows), [e.idempotency_key for e in entries]

    async def _originals(self) -> list[str]:
        async with unit_of_work(self.driver.sessions) as session:
            return list(await session.scalars(select(Generation.original_key)))

    async def _claim(self) -> Generation | None:
        async with unit_of_work(self.driver.sessions) as session:
            return next(
                iter(await generations.claim_jobs(session, limit=1, lease_seconds=60)), None
            )

    async def _generation_ids(self) -> list[str]:
        """Ordered by what the rules chose, not by random ids, so examples replay exactly."""
        async with unit_of_work(self.driver.sessions) as session:
            query = select(Generation.id).order_by(Generation.user_id, Generation.source_message_id)
            return list(await session.scalars(query))

    async def _completed(self) -> list[tuple[str, int]]:
        async with unit_of_work(self.driver.sessions) as session:
            query = (
                select(Generation.id, Generation.user_id)
                .where(Generation.status == Status.COMPLETED)
                .order_by(Generation.user_id, Generation.source_message_id)
            )
            return list((await session.execute(query)).all())

    async def _expire_leases(self) -> None:
        async with unit_of_work(self.driver.sessions) as session:
            await session.execute(
                update(Generation)
                .where(Generation.status == Status.RUNNING)
                .values(lease_until=utcnow() - timedelta(seconds=1))
            )


def test_credits_and_jobs_stay_consistent_under_any_sequence_of_operations(
    database_url: str,
) -> None:
    driver = Driver(database_url)
    try:
        run_state_machine_as_test(
            lambda: LedgerAndJobs(driver),
            settings=settings(
                max_examples=25,
                stateful_step_count=30,
                deadline=None,
                derandomize=True,
                suppress_health_check=[HealthCheck.too_slow],
            ),
        )
    finally:
        driver.close()
