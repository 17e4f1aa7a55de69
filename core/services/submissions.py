"""Photos in, jobs out: the per-user rules checked once, then one charge-and-queue transaction.

The path from a photo to its queued job is: `admission` (is this message new, is there room
and credit, counting uploads in flight? read with the account on arrival), the download and
intake outside any transaction, then the original's write and `_charge_and_queue` (charge,
re-count under the user's row lock, insert the job) side by side, the transaction committing
only once the write succeeded: a job's row never exists without its photo, and a failed write
charges nothing. With a worker of this process free and nothing queued, the job is inserted
already running and starts when that transaction commits (`core.job_handoff`); otherwise it
is queued. The status message is attached afterwards: whoever comes second, the worker that
finishes the job or the handler that sent "⏳", tidies it away.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core import generations, ledger, users
from core.blobs import BlobStore, original_key
from core.blobs.pending import PendingWrite
from core.db import unit_of_work
from core.errors import InsufficientCredits, TooManyActive
from core.events import JobEvents, JobSummary
from core.intake import prepare_image
from core.job_handoff import LocalWorkers, next_worker
from core.models import GenerationStatus as Status
from core.services.accounts import Account, Pricing
from core.services.job_sources import JobSource, new_job, source_of_again
from core.uploads_in_flight import UploadsInFlight

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class PhotoSubmission:
    user_id: int
    chat_id: int
    source_message_id: int
    image: bytes
    caption: str | None = None
    encoded_by_telegram: bool = False  # a message's photo, not a file: see core.intake


@dataclass(frozen=True, slots=True, kw_only=True)
class Submitted:
    generation_id: str
    balance: int
    duplicate: bool  # this message had been submitted before (a redelivered update)


async def submitted_for_message(
    sessions: async_sessionmaker[AsyncSession], *, chat_id: int, message_id: int
) -> Submitted | None:
    """The job one Telegram message already started (a redelivered update), as a duplicate."""
    async with unit_of_work(sessions) as session:
        found = await generations.find_by_source(
            session, chat_id=chat_id, source_message_id=message_id
        )
        if found is None:
            return None
        balance = await ledger.balance(session, found.user_id)
        return Submitted(generation_id=found.id, balance=balance, duplicate=True)


class SubmissionService:
    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        blobs: BlobStore,
        pricing: Pricing,
        events: JobEvents,
        workers: LocalWorkers | None = None,
    ) -> None:
        self._sessions = sessions
        self._blobs = blobs
        self._pricing = pricing
        self._events = events
        self._workers = workers
        self._uploads = UploadsInFlight()

    @contextlib.asynccontextmanager
    async def admission(
        self, account: Account, *, chat_id: int, message_id: int
    ) -> AsyncIterator[bool]:
        """Check the per-user rules before any download, counting this user's uploads in
        flight as jobs; the block (download, intake, `submit_photo`) holds a slot until it
        ends. Yields False for a message already taken (a redelivered update).

        The balance, and the facts when the account was resolved for this photo, are the
        ones read with the account for this update; the charge re-checks both rules
        atomically, so this early answer saves downloads, it guards no money.
        """
        cost, limit = self._pricing.generation_cost, self._pricing.max_active_per_user
        if account.balance < cost:
            raise InsufficientCredits(balance=account.balance, cost=cost)
        facts = account.photo
        if facts is None:
            async with unit_of_work(self._sessions) as session:
                facts = await generations.submission_facts(
                    session, user_id=account.user_id, chat_id=chat_id, source_message_id=message_id
                )
        if facts.taken:
            yield False
            return
        active = facts.active
        # No await from here to the hold: the count and the slot are one step on the loop.
        uploading = self._uploads.count(account.user_id)
        if active + uploading >= limit:
            raise TooManyActive(limit=limit)
        uncommitted = account.balance - cost * uploading
        if uncommitted < cost:
            raise InsufficientCredits(balance=max(0, uncommitted), cost=cost)
        with self._uploads.hold(account.user_id):
            yield True

    async def submit_photo(self, submission: PhotoSubmission) -> Submitted:
        """Validate, then store the original and charge and queue (one transaction) side by side."""
        prepared = await prepare_image(
            submission.image, encoded_by_telegram=submission.encoded_by_telegram
        )
        key = original_key(submission.user_id)
        original = PendingWrite(self._blobs, key, prepared.jpeg, "image/jpeg")
        source = JobSource(
            user_id=submission.user_id,
            chat_id=submission.chat_id,
            source_message_id=submission.source_message_id,
            original_key=key,
            aspect_ratio=prepared.aspect_ratio,
            caption=submission.caption,
        )

        async def stored(_: AsyncSession) -> JobSource:
            return source

        try:
            submitted = await self._charge_and_queue(
                source.chat_id, source.source_message_id, stored, original=original
            )
        except BaseException:
            await original.discard()
            raise
        if submitted.duplicate:
            await original.discard()
        return submitted

    async def submit_again(
        self, *, user_id: int, gen_id: str, chat_id: int, source_message_id: int
    ) -> Submitted:
        """Another take on an earlier avatar's photo, in the user's current style (charged
        anew). The new job points at the same stored original: no second intake, no copy."""

        async def earlier(session: AsyncSession) -> JobSource:
            return await source_of_again(session, user_id, gen_id, chat_id, source_message_id)

        return await self._charge_and_queue(chat_id, source_message_id, earlier)

    async def attach_status(self, gen_id: str, message_id: int) -> bool:
        """Record the "⏳" message on the job; False when the job already ended, so the
        caller removes the message itself (the worker did not know of it)."""
        async with unit_of_work(self._sessions) as session:
            return await generations.set_status_message(
                session, gen_id=gen_id, message_id=message_id
            )

    async def _charge_and_queue(
        self,
        chat_id: int,
        message_id: int,
        source_of: Callable[[AsyncSession], Awaitable[JobSource]],
        *,
        original: PendingWrite | None = None,
    ) -> Submitted:
        """`original`: the photo's write, running alongside; the job commits once it is done
        (its failure rolls the charge back), so the photo costs max(write, charge), not both."""
        gen_id = generations.new_generation_id()
        cost, limit = self._pricing.generation_cost, self._pricing.max_active_per_user
        try:
            async with next_worker(self._workers) as worker:
                async with unit_of_work(self._sessions) as session:
                    source = await source_of(session)
                    user = await users.get(session, source.user_id)
                    balance = await ledger.charge(
                        session,
                        user_id=source.user_id,
                        cost=cost,
                        key=f"charge:{gen_id}",
                        reference=gen_id,
                    )
                    # The charge holds the user's row lock, so this count cannot race.
                    if await generations.count_active(session, source.user_id) >= limit:
                        raise TooManyActive(limit=limit)
                    row = await generations.insert_queued(
                        session,
                        gen_id=gen_id,
                        job=new_job(source, style=user.style, cost=cost),
                        leased=worker.lease,
                    )
                    if original is not None:
                        await original
                worker.start(row)
        except IntegrityError:
            existing = await submitted_for_message(
                self._sessions, chat_id=chat_id, message_id=message_id
            )
            if existing is None:
                raise
            return existing
        how = "queued" if row.status == Status.QUEUED else "started"
        log.info("generation %s", how, extra={"generation_id": gen_id, "user_id": source.user_id})
        self._events.submitted(JobSummary.of(row))
        self._events.credits_moved(ledger.LedgerKind.CHARGE, cost)
        return Submitted(generation_id=gen_id, balance=balance, duplicate=False)
