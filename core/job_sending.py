"""Sending a finished avatar and recording it: the send is marked before it goes out, a send
Telegram surely refused is retried or failed, and a confirmed (or maybe delivered) send is
completed with retries until it commits, never turned into a failure. Fenced by the attempt."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core import claims, ledger, referrals, users
from core.blobs.pending import PendingWrite
from core.db import unit_of_work
from core.delivery_port import AvatarDelivery, Delivered, JobPolicy
from core.errors import DeliveryError
from core.events import JobEvents, JobSummary
from core.job_failure import JobFailure
from core.models import DeliveryState, Generation

log = logging.getLogger(__name__)

# Retrying the completion of a sent avatar: first pause, and the cap it doubles up to.
COMPLETION_RETRY_FIRST = 0.1
COMPLETION_RETRY_CAP = 5.0


@dataclass(frozen=True, slots=True)
class NewResult:
    """A new avatar: what the send mark records, and its write, which the mark waits for."""

    stored: claims.StoredResult
    write: PendingWrite


class LeaseLost(Exception):
    """The claim was taken over or swept while this worker ran: stand down, change nothing."""


class JobSending:
    """The send and completion steps of `core.jobs.JobRunner`."""

    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        delivery: AvatarDelivery,
        policy: JobPolicy,
        events: JobEvents,
        failure: JobFailure,
    ) -> None:
        self._sessions = sessions
        self._delivery = delivery
        self._policy = policy
        self._events = events
        self._failure = failure

    async def begin_send(
        self, job: Generation, *, resend: bool, result: NewResult | None = None
    ) -> claims.Sending:
        """Record a new `result`, renew the lease and mark the send, or stand down if the job
        is no longer ours; the user's balance and language for the caption, read in the same
        statement. The mark commits only once the new avatar's write succeeded (its failure
        rolls the mark back): a recorded result is always in storage."""
        async with unit_of_work(self._sessions) as session:
            sending = await claims.begin_send(
                session,
                gen_id=job.id,
                attempt=job.attempts,
                lease_seconds=self._policy.lease_seconds,
                resend=resend,
                result=result.stored if result is not None else None,
            )
            if result is not None:
                await result.write
        if sending is None:
            raise LeaseLost
        return sending

    async def give_up_in_doubt(self, job: Generation) -> None:
        """Crashes cut off both the send and the labelled re-send: the avatar may be with the
        user, or not. No third copy: the job completes as maybe delivered (never refunded) and
        the user is told where it is kept if it did not arrive."""
        extra = {"generation_id": job.id, "user_id": job.user_id}
        log.warning("the re-send was cut off as well: no third copy", extra=extra)
        maybe = Delivered(file_id=None, message_id=None, confirmed=False)
        if not await self.record_delivery(job, maybe):
            return
        try:
            async with unit_of_work(self._sessions) as session:
                language = users.language_of(await users.get(session, job.user_id))
            await self._delivery.send_in_doubt(job.chat_id, language)
        except Exception:
            log.warning("could not tell the user about a send in doubt", exc_info=True, extra=extra)

    async def not_sent(self, job: Generation, exc: DeliveryError) -> bool:
        """Telegram surely did not take this send: retry it (True: the job is queued again),
        or fail once retrying cannot help (unless an earlier attempt's send is still in doubt:
        then it completes unconfirmed)."""
        retry = not exc.permanent and job.attempts < self._policy.max_attempts
        async with unit_of_work(self._sessions) as session:
            await claims.undo_send(
                session, gen_id=job.id, attempt=job.attempts, previous=job.delivery
            )
            if retry:
                await claims.release(
                    session, gen_id=job.id, attempt=job.attempts, count_attempt=True
                )
        if retry:
            log.warning("delivery failed, will retry: %s", exc, extra={"generation_id": job.id})
        else:
            await self._failure.fail(job.id, job.attempts, exc)
        return retry

    async def record_delivery(self, job: Generation, delivered: Delivered) -> bool:
        """Complete a sent (or maybe sent) avatar, retrying until it commits: a database error
        here must never turn a delivered avatar into a failure. The heartbeat keeps the lease.
        False when this attempt no longer held the job (its new holder ends it)."""
        extra = {"generation_id": job.id, "user_id": job.user_id}
        pause = COMPLETION_RETRY_FIRST
        while True:
            try:
                async with unit_of_work(self._sessions) as session:
                    done = await claims.complete(
                        session,
                        gen_id=job.id,
                        attempt=job.attempts,
                        file_id=delivered.file_id,
                        result_message_id=delivered.message_id,
                        delivery=(
                            DeliveryState.SENT if delivered.confirmed else DeliveryState.UNCONFIRMED
                        ),
                    )
                    reward = None
                    if done is not None:
                        reward = await referrals.reward_on_first_avatar(
                            session, user_id=job.user_id, bonus=self._policy.referral_bonus
                        )
                break
            except Exception:
                log.warning("recording a sent avatar failed; retrying", exc_info=True, extra=extra)
                await asyncio.sleep(pause)
                pause = min(pause * 2, COMPLETION_RETRY_CAP)
        if done is None:
            log.warning("lease lost after sending; the new holder ends the job", extra=extra)
            return False
        if delivered.confirmed:
            log.info("generation delivered", extra=extra)
        else:
            log.warning("generation maybe delivered (no answer to the send)", extra=extra)
        self._events.completed(JobSummary.of(job))
        # As of completing: a "⏳" recorded later is removed by its sender.
        if done.status_message_id is not None:
            await self._clear_status(job.chat_id, done.status_message_id)
        if reward is not None:
            self._events.credits_moved(ledger.LedgerKind.REFERRAL, reward.bonus)
            await self._tell_referrer(reward)
        return True

    async def _clear_status(self, chat_id: int, message_id: int) -> None:
        try:
            await self._delivery.clear_status(chat_id, message_id)
        except Exception:
            log.debug("status message could not be removed", exc_info=True)

    async def _tell_referrer(self, reward: referrals.ReferralReward) -> None:
        """The bonus is paid already; failing to say so must not touch the avatar's job."""
        try:
            await self._delivery.referral_rewarded(
                reward.referrer_id,
                reward.referred_name,
                reward.bonus,
                reward.balance,
                reward.language,
            )
        except Exception:
            log.warning(
                "could not tell the referrer", exc_info=True, extra={"user_id": reward.referrer_id}
            )
