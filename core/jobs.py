"""Running one claimed generation to its end: delivered and charged, or failed and refunded.

The steps are ordered so a crash anywhere is recoverable by simply running the job again:
the stored result is recorded before sending, so a retry re-sends instead of paying the model
twice. The send is marked on the row before it goes out: from then on the avatar may be with
the user, so the job can end completed (confirmed or not) but never failed and refunded. Once
Telegram confirmed a send, completion is retried until it commits. Every write is fenced by
the claim's attempt number (`core.claims`): a worker that lost its lease changes nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core import claims, generations, ledger, referrals, users
from core.blobs import BlobStore, avatar_key, content_type_for_key
from core.db import PoolTimeout, unit_of_work
from core.errors import AIVengerError, BlobNotFound, DeliveryError
from core.events import JobEvents, JobSummary
from core.image_model import ImageModel, ImageRequest
from core.models import DeliveryState, Generation
from core.styles import build_job_prompt

log = logging.getLogger(__name__)

# Telegram shows a chat action for about 5 seconds.
PROGRESS_INTERVAL_SECONDS = 4.5
# Retrying the completion of a sent avatar: first pause, and the cap it doubles up to.
COMPLETION_RETRY_FIRST = 0.1
COMPLETION_RETRY_CAP = 5.0


class _LeaseLost(Exception):
    """The claim was taken over or swept while this worker ran: stand down, change nothing."""


@dataclass(frozen=True, slots=True, kw_only=True)
class FinishedAvatar:
    generation_id: str
    user_id: int
    chat_id: int
    source_message_id: int
    style: str
    image: bytes
    content_type: str
    balance: int
    language: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class FailedAvatar:
    generation_id: str
    user_id: int
    chat_id: int
    status_message_id: int | None
    error_code: str
    refunded: bool
    credits_used: int
    balance: int
    language: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Delivered:
    """What a send returned; `confirmed=False` when its answer never came (maybe delivered)."""

    file_id: str | None
    message_id: int | None
    confirmed: bool = True


class AvatarDelivery(Protocol):
    """How a finished avatar (or the news that it failed) reaches the user."""

    async def deliver(self, avatar: FinishedAvatar) -> Delivered:
        """Send the avatar. Raise `DeliveryError` only when it surely did not reach the user;
        a send that may have reached them returns `Delivered(confirmed=False)`."""
        ...

    async def report_failure(self, failure: FailedAvatar) -> None: ...

    async def clear_status(self, chat_id: int, message_id: int) -> None:
        """Remove the "⏳" message of a delivered avatar; may fail (it is cosmetic)."""

    async def show_progress(self, chat_id: int) -> None:
        """Cosmetic "working on it" signal, repeated while the model runs; may be dropped."""

    async def referral_rewarded(
        self, referrer_id: int, referred_name: str, bonus: int, balance: int, language: str | None
    ) -> None:
        """Tell a referrer that the friend they invited earned them a bonus."""


@dataclass(frozen=True, slots=True, kw_only=True)
class JobPolicy:
    lease_seconds: float = 15.0
    max_attempts: int = 3
    refund_on_failure: bool = True
    referral_bonus: int = 0


class JobRunner:
    """Carries one job through model, storage and delivery; never leaves it `running`."""

    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        blobs: BlobStore,
        image_model: ImageModel,
        delivery: AvatarDelivery,
        policy: JobPolicy,
        events: JobEvents | None = None,
    ) -> None:
        self._sessions = sessions
        self._blobs = blobs
        self._model = image_model
        self._delivery = delivery
        self._policy = policy
        self._events = events or JobEvents()

    async def run(self, job: Generation) -> None:
        extra = {"generation_id": job.id, "user_id": job.user_id}
        heartbeat = asyncio.create_task(self._keep_lease(job.id, job.attempts))
        try:
            image, content_type = await self._result_for(job)
            balance, language = await self._account(job.user_id)
            await self._begin_send(job)
            try:
                delivered = await self._delivery.deliver(
                    FinishedAvatar(
                        generation_id=job.id,
                        user_id=job.user_id,
                        chat_id=job.chat_id,
                        source_message_id=job.source_message_id,
                        style=job.style,
                        image=image,
                        content_type=content_type,
                        balance=balance,
                        language=language,
                    )
                )
            except DeliveryError as exc:
                await self._not_sent(job, exc)
                return
            await self._record_delivery(job, delivered)
        except _LeaseLost:
            log.warning("lease lost; standing down", extra=extra)
        except AIVengerError as exc:
            await self.fail(job.id, job.attempts, exc)
        except PoolTimeout:
            # Busy, not broken: back to the queue (or, failing that, its lease expires and the
            # sweeper requeues it); neither failed nor refunded.
            log.warning("database pool exhausted; job goes back to the queue", extra=extra)
            with contextlib.suppress(Exception):
                await self._release(job)
        except Exception as exc:  # a bug must still end the job, never leave it stuck
            log.exception("generation crashed", extra=extra)
            await self.fail(job.id, job.attempts, exc)
        finally:
            heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await heartbeat

    async def fail(self, gen_id: str, attempt: int, exc: BaseException) -> None:
        """End attempt `attempt` without an avatar: failed, refunded once (per policy) and the
        user told. A no-op when that attempt no longer holds the job; when a send of it is in
        doubt, the job completes `unconfirmed` instead: maybe delivered is never refunded."""
        code = exc.code if isinstance(exc, AIVengerError) else "internal"
        async with unit_of_work(self._sessions) as session:
            failed = await claims.mark_failed(
                session,
                gen_id=gen_id,
                attempt=attempt,
                error_code=code,
                error_message=str(exc) or code,
            )
            if failed is None:
                in_doubt = await claims.complete(
                    session,
                    gen_id=gen_id,
                    attempt=attempt,
                    file_id=None,
                    result_message_id=None,
                    delivery=DeliveryState.UNCONFIRMED,
                )
            else:
                refunded = self._policy.refund_on_failure and await ledger.credit(
                    session,
                    user_id=failed.user_id,
                    amount=failed.credits_used,
                    kind=ledger.LedgerKind.REFUND,
                    key=f"refund:{gen_id}",
                    reference=gen_id,
                )
                user = await users.get(session, failed.user_id)
        if failed is None:
            if in_doubt:
                log.warning(
                    "%s after a send in doubt: completed unconfirmed, not refunded",
                    code,
                    extra={"generation_id": gen_id},
                )
            return
        extra = {"generation_id": gen_id, "user_id": failed.user_id}
        log.warning("generation failed: %s (refunded=%s)", code, refunded, extra=extra)
        self._events.failed(JobSummary.of(failed), code, refunded)
        if refunded:
            self._events.credits_moved(ledger.LedgerKind.REFUND, failed.credits_used)
        try:
            await self._delivery.report_failure(
                FailedAvatar(
                    generation_id=gen_id,
                    user_id=failed.user_id,
                    chat_id=failed.chat_id,
                    status_message_id=failed.status_message_id,
                    error_code=code,
                    refunded=refunded,
                    credits_used=failed.credits_used,
                    balance=user.credits,
                    language=users.language_of(user),
                )
            )
        except Exception:  # the refund stands even when we cannot tell the user
            log.warning("could not report the failure to the user", exc_info=True, extra=extra)

    async def _result_for(self, job: Generation) -> tuple[bytes, str]:
        if job.result_key:
            try:
                return await self._blobs.get(job.result_key), content_type_for_key(job.result_key)
            except BlobNotFound:
                log.warning(
                    "stored result vanished; generating again", extra={"generation_id": job.id}
                )
        originals = tuple([await self._blobs.get(key) for key in job.original_keys])
        prompt = build_job_prompt(
            job.style, job.prompt_extra, edit=job.parent_id is not None, photos=len(originals)
        )
        request = ImageRequest(prompt=prompt, images=originals, aspect_ratio=job.aspect_ratio)
        started = asyncio.get_running_loop().time()
        progress = asyncio.create_task(self._show_progress(job.chat_id))
        try:
            result = await self._model.generate(request)
        finally:
            progress.cancel()
        seconds = asyncio.get_running_loop().time() - started
        self._events.model_answered(seconds, result.cost, result.model)
        extra = {"generation_id": job.id, "user_id": job.user_id}
        log.info("image model answered: model=%s latency=%.2fs", result.model, seconds, extra=extra)
        key = avatar_key(job.user_id, result.content_type)
        await self._blobs.put(key, result.image, result.content_type)
        try:
            async with unit_of_work(self._sessions) as session:
                recorded = await claims.record_result(
                    session,
                    gen_id=job.id,
                    attempt=job.attempts,
                    result_key=key,
                    model_cost=result.cost,
                    model=result.model,
                )
        except Exception:
            await self._blobs.delete(key)  # no blob without its row
            raise
        if not recorded:
            await self._blobs.delete(key)
            raise _LeaseLost
        return result.image, result.content_type

    async def _begin_send(self, job: Generation) -> None:
        """Renew the lease and mark the send, or stand down if the job is no longer ours."""
        async with unit_of_work(self._sessions) as session:
            ours = await claims.begin_send(
                session,
                gen_id=job.id,
                attempt=job.attempts,
                lease_seconds=self._policy.lease_seconds,
            )
        if not ours:
            raise _LeaseLost

    async def _not_sent(self, job: Generation, exc: DeliveryError) -> None:
        """Telegram surely did not take this send: retry it, or fail once retrying cannot help
        (unless an earlier attempt's send is still in doubt: then it completes unconfirmed)."""
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
            await self.fail(job.id, job.attempts, exc)

    async def _record_delivery(self, job: Generation, delivered: Delivered) -> None:
        """Complete a sent (or maybe sent) avatar, retrying until it commits: a database error
        here must never turn a delivered avatar into a failure. The heartbeat keeps the lease."""
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
                    reward, status_message_id = None, None
                    if done:
                        reward = await referrals.reward_on_first_avatar(
                            session, user_id=job.user_id, bonus=self._policy.referral_bonus
                        )
                        # Read after completing: a "⏳" recorded later is removed by its sender.
                        status_message_id = await generations.status_message_of(session, job.id)
                break
            except Exception:
                log.warning("recording a sent avatar failed; retrying", exc_info=True, extra=extra)
                await asyncio.sleep(pause)
                pause = min(pause * 2, COMPLETION_RETRY_CAP)
        if not done:
            log.warning("lease lost after sending; the new holder ends the job", extra=extra)
            return
        if delivered.confirmed:
            log.info("generation delivered", extra=extra)
        else:
            log.warning("generation maybe delivered (no answer to the send)", extra=extra)
        self._events.completed(JobSummary.of(job))
        if status_message_id is not None:
            await self._clear_status(job.chat_id, status_message_id)
        if reward is not None:
            self._events.credits_moved(ledger.LedgerKind.REFERRAL, reward.bonus)
            await self._tell_referrer(reward)

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

    async def _account(self, user_id: int) -> tuple[int, str | None]:
        async with unit_of_work(self._sessions) as session:
            user = await users.get(session, user_id)
            return user.credits, users.language_of(user)

    async def _release(self, job: Generation) -> None:
        async with unit_of_work(self._sessions) as session:
            await claims.release(session, gen_id=job.id, attempt=job.attempts)

    async def _show_progress(self, chat_id: int) -> None:
        while True:
            try:
                await self._delivery.show_progress(chat_id)
            except Exception:
                log.debug("progress signal failed", exc_info=True)
            await asyncio.sleep(PROGRESS_INTERVAL_SECONDS)

    async def _keep_lease(self, gen_id: str, attempt: int) -> None:
        """Renew the lease a few times per lease period, so only a dead process lets it lapse."""
        interval = max(self._policy.lease_seconds / 3, 0.05)
        while True:
            await asyncio.sleep(interval)
            try:
                async with unit_of_work(self._sessions) as session:
                    await claims.extend_lease(
                        session,
                        gen_id=gen_id,
                        attempt=attempt,
                        lease_seconds=self._policy.lease_seconds,
                    )
            except Exception:
                log.warning(
                    "lease heartbeat failed", exc_info=True, extra={"generation_id": gen_id}
                )
