"""Running one claimed generation to its end: delivered and charged, or failed and refunded.

The steps are ordered so a crash anywhere is recoverable by simply running the job again:
the stored result is recorded before sending, so a retry re-sends instead of paying the model
twice; completion is recorded after sending, so the one window where a crash can duplicate a
photo is between Telegram accepting it and the row turning `completed`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core import generations, ledger, referrals, users
from core.blobs import BlobStore, avatar_key, content_type_for_key
from core.db import PoolTimeout, unit_of_work
from core.errors import AIVengerError, BlobNotFound, DeliveryError
from core.events import JobEvents
from core.image_model import ImageModel, ImageRequest
from core.models import Generation
from core.styles import build_prompt

log = logging.getLogger(__name__)

# Telegram shows a chat action for about 5 seconds.
PROGRESS_INTERVAL_SECONDS = 4.5


@dataclass(frozen=True, slots=True)
class FinishedAvatar:
    generation_id: str
    user_id: int
    chat_id: int
    source_message_id: int
    status_message_id: int | None
    style: str
    image: bytes
    content_type: str
    balance: int
    language: str | None


@dataclass(frozen=True, slots=True)
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


@dataclass(frozen=True, slots=True)
class Delivered:
    file_id: str | None
    message_id: int | None


class AvatarDelivery(Protocol):
    """How a finished avatar (or the news that it failed) reaches the user."""

    async def deliver(self, avatar: FinishedAvatar) -> Delivered: ...

    async def report_failure(self, failure: FailedAvatar) -> None: ...

    async def show_progress(self, chat_id: int) -> None:
        """Cosmetic "working on it" signal, repeated while the model runs; may be dropped."""

    async def referral_rewarded(
        self, referrer_id: int, referred_name: str, bonus: int, balance: int, language: str | None
    ) -> None:
        """Tell a referrer that the friend they invited earned them a bonus."""


@dataclass(frozen=True, slots=True)
class JobPolicy:
    lease_seconds: float = 90.0
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
        heartbeat = asyncio.create_task(self._keep_lease(job.id))
        try:
            image, content_type = await self._result_for(job)
            balance, language = await self._account(job.user_id)
            if not await self._still_ours(job):
                log.warning("lease lost before sending; standing down", extra=extra)
                return
            delivered = await self._delivery.deliver(
                FinishedAvatar(
                    job.id,
                    job.user_id,
                    job.chat_id,
                    job.source_message_id,
                    job.status_message_id,
                    job.style,
                    image,
                    content_type,
                    balance,
                    language,
                )
            )
            async with unit_of_work(self._sessions) as session:
                await generations.complete(
                    session,
                    gen_id=job.id,
                    file_id=delivered.file_id,
                    result_message_id=delivered.message_id,
                )
                reward = await referrals.reward_on_first_avatar(
                    session, user_id=job.user_id, bonus=self._policy.referral_bonus
                )
            log.info("generation delivered", extra=extra)
            self._events.completed(job)
            if reward is not None:
                self._events.credits_moved(ledger.LedgerKind.REFERRAL, reward.bonus)
                await self._tell_referrer(reward)
        except DeliveryError as exc:
            if exc.permanent or job.attempts >= self._policy.max_attempts:
                await self.fail(job.id, exc)
            else:
                log.warning("delivery failed, will retry: %s", exc, extra=extra)
                await self._requeue(job.id)
        except AIVengerError as exc:
            await self.fail(job.id, exc)
        except PoolTimeout:
            # Busy, not broken: back to the queue (or, failing that, its lease expires and the
            # sweeper requeues it); neither failed nor refunded.
            log.warning("database pool exhausted; job goes back to the queue", extra=extra)
            with contextlib.suppress(Exception):
                await self._release(job.id)
        except Exception as exc:  # a bug must still end in a refund, never a stuck job
            log.exception("generation crashed", extra=extra)
            await self.fail(job.id, exc)
        finally:
            heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await heartbeat

    async def fail(self, gen_id: str, exc: BaseException) -> None:
        """Mark failed, refund once (per policy) and tell the user; a no-op if already ended."""
        code = exc.code if isinstance(exc, AIVengerError) else "internal"
        async with unit_of_work(self._sessions) as session:
            failed = await generations.mark_failed(
                session, gen_id=gen_id, error_code=code, error_message=str(exc) or code
            )
            if failed is None:
                return
            refunded = self._policy.refund_on_failure and await ledger.credit(
                session,
                user_id=failed.user_id,
                amount=failed.credits_used,
                kind=ledger.LedgerKind.REFUND,
                key=f"refund:{gen_id}",
                reference=gen_id,
            )
            user = await users.get(session, failed.user_id)
        extra = {"generation_id": gen_id, "user_id": failed.user_id}
        log.warning("generation failed: %s (refunded=%s)", code, refunded, extra=extra)
        self._events.failed(failed, code, refunded)
        if refunded:
            self._events.credits_moved(ledger.LedgerKind.REFUND, failed.credits_used)
        try:
            await self._delivery.report_failure(
                FailedAvatar(
                    gen_id,
                    failed.user_id,
                    failed.chat_id,
                    failed.status_message_id,
                    code,
                    refunded,
                    failed.credits_used,
                    user.credits,
                    users.language_of(user),
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
        original = await self._blobs.get(job.original_key)
        request = ImageRequest(
            prompt=build_prompt(job.style, job.prompt_extra),
            image_jpeg=original,
            aspect_ratio=job.aspect_ratio,
        )
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
                await generations.record_result(
                    session,
                    gen_id=job.id,
                    result_key=key,
                    model_cost=result.cost,
                    model=result.model,
                )
        except Exception:
            await self._blobs.delete(key)  # no blob without its row
            raise
        return result.image, result.content_type

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

    async def _still_ours(self, job: Generation) -> bool:
        """True (and the lease renewed) while no sweep or other worker has taken the job."""
        async with unit_of_work(self._sessions) as session:
            return await generations.extend_lease(
                session,
                gen_id=job.id,
                lease_seconds=self._policy.lease_seconds,
                attempt=job.attempts,
            )

    async def _account(self, user_id: int) -> tuple[int, str | None]:
        async with unit_of_work(self._sessions) as session:
            user = await users.get(session, user_id)
            return user.credits, users.language_of(user)

    async def _release(self, gen_id: str) -> None:
        async with unit_of_work(self._sessions) as session:
            await generations.release(session, gen_id=gen_id)

    async def _requeue(self, gen_id: str) -> None:
        async with unit_of_work(self._sessions) as session:
            await generations.release(session, gen_id=gen_id, count_attempt=True)

    async def _show_progress(self, chat_id: int) -> None:
        while True:
            try:
                await self._delivery.show_progress(chat_id)
            except Exception:
                log.debug("progress signal failed", exc_info=True)
            await asyncio.sleep(PROGRESS_INTERVAL_SECONDS)

    async def _keep_lease(self, gen_id: str) -> None:
        interval = max(self._policy.lease_seconds / 3, 0.05)
        while True:
            await asyncio.sleep(interval)
            try:
                async with unit_of_work(self._sessions) as session:
                    await generations.extend_lease(
                        session, gen_id=gen_id, lease_seconds=self._policy.lease_seconds
                    )
            except Exception:
                log.warning(
                    "lease heartbeat failed", exc_info=True, extra={"generation_id": gen_id}
                )
