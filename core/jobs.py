"""Running one claimed generation to its end: delivered and charged, or failed and refunded.

The steps are ordered so a crash anywhere is recoverable by simply running the job again:
the stored result is recorded before sending, together with the send mark, so a retry re-sends
instead of paying the model twice. The send is marked on the row before it goes out: from then
on the avatar may be with the user, so the job can end completed (confirmed or not) but never
failed and refunded. Once
Telegram confirmed a send, completion is retried until it commits. Every write is fenced by
the claim's attempt number (`core.claims`): a worker that lost its lease changes nothing.
The port is `core.delivery_port`; the send steps `core.job_sending`; failure `core.job_failure`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core import claims
from core.blobs import BlobStore, avatar_key, content_type_for_key
from core.blobs.pending import PendingWrite
from core.db import PoolTimeout, unit_of_work
from core.delivery_port import AvatarDelivery, FinishedAvatar, JobPolicy
from core.errors import AIVengerError, BlobNotFound, DeliveryError
from core.events import JobEvents
from core.image_model import ImageModel, ImageRequest
from core.job_failure import JobFailure
from core.job_sending import JobSending, LeaseLost, NewResult
from core.models import DeliveryState, Generation
from core.styles import build_job_prompt
from core.task_stopping import cancel_and_wait

log = logging.getLogger(__name__)

# Telegram shows a chat action for about 5 seconds, or until the bot's next message. The first
# comes a second in: after the "⏳" status message that would wipe it, and never for a model
# that answers at once (the intake's own action covered that moment).
PROGRESS_FIRST_SECONDS = 1.0
PROGRESS_INTERVAL_SECONDS = 4.5


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
        self._failure = JobFailure(
            sessions=sessions, delivery=delivery, policy=policy, events=self._events
        )
        self._sending = JobSending(
            sessions=sessions,
            delivery=delivery,
            policy=policy,
            events=self._events,
            failure=self._failure,
        )

    async def run(self, job: Generation) -> bool:
        """True when the job went back to the queue (for another attempt), so the caller
        knows there is queued work again."""
        extra = {"generation_id": job.id, "user_id": job.user_id}
        heartbeat = asyncio.create_task(self._keep_lease(job.id, job.attempts))
        try:
            if job.delivery == DeliveryState.RESENDING:  # the re-send was cut off as well
                await self._sending.give_up_in_doubt(job)
                return False
            resend = job.delivery == DeliveryState.SENDING  # a crash cut the first send off
            image, content_type, new = await self._result_for(job)
            try:
                sending = await self._sending.begin_send(job, resend=resend, result=new)
            except Exception:
                if new is not None:  # not recorded: no blob without its row
                    await new.write.discard()
                raise
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
                        balance=sending.balance,
                        language=sending.language,
                        resent=resend,
                    )
                )
            except DeliveryError as exc:
                return await self._sending.not_sent(job, exc)
            await self._sending.record_delivery(job, delivered)
        except LeaseLost:
            log.warning("lease lost; standing down", extra=extra)
        except AIVengerError as exc:
            await self.fail(job.id, job.attempts, exc)
        except PoolTimeout:
            # Busy, not broken: back to the queue (or, failing that, its lease expires and the
            # sweeper requeues it); neither failed nor refunded.
            log.warning("database pool exhausted; job goes back to the queue", extra=extra)
            with contextlib.suppress(Exception):
                await self._release(job)
            return True
        except Exception as exc:  # a bug must still end the job, never leave it stuck
            log.exception("generation crashed", extra=extra)
            await self.fail(job.id, job.attempts, exc)
        finally:
            await cancel_and_wait(heartbeat)
        return False

    async def fail(self, gen_id: str, attempt: int, exc: BaseException) -> None:
        """End attempt `attempt` without an avatar (`core.job_failure.JobFailure.fail`)."""
        await self._failure.fail(gen_id, attempt, exc)

    async def _result_for(self, job: Generation) -> tuple[bytes, str, NewResult | None]:
        """The avatar to send: the one an earlier attempt stored, else a new one from the
        model, its write started now and recorded by the send mark once done (`NewResult`)."""
        if job.result_key:
            try:
                image = await self._blobs.get(job.result_key)
                return image, content_type_for_key(job.result_key), None
            except BlobNotFound:
                log.warning(
                    "stored result vanished; generating again", extra={"generation_id": job.id}
                )
        # The photos live in the request alone, which the model lets go once it has encoded
        # them: nothing here holds a second copy of each while the model works (§10).
        call = self._model.generate(await self._model_request(job))
        started = asyncio.get_running_loop().time()
        progress = asyncio.create_task(self._show_progress(job.chat_id))
        try:
            result = await call
        finally:
            progress.cancel()
        seconds = asyncio.get_running_loop().time() - started
        self._events.model_answered(seconds, result.cost, result.model)
        extra = {"generation_id": job.id, "user_id": job.user_id}
        log.info("image model answered: model=%s latency=%.2fs", result.model, seconds, extra=extra)
        key = avatar_key(job.user_id, result.content_type)
        write = PendingWrite(self._blobs, key, result.image, result.content_type)
        stored = claims.StoredResult(key=key, model_cost=result.cost, model=result.model)
        return result.image, result.content_type, NewResult(stored, write)

    async def _model_request(self, job: Generation) -> ImageRequest:
        originals = tuple([await self._blobs.get(key) for key in job.original_keys])
        prompt = build_job_prompt(
            job.style, job.prompt_extra, edit=job.parent_id is not None, photos=len(originals)
        )
        return ImageRequest(prompt=prompt, images=originals, aspect_ratio=job.aspect_ratio)

    async def _release(self, job: Generation) -> None:
        async with unit_of_work(self._sessions) as session:
            await claims.release(session, gen_id=job.id, attempt=job.attempts)

    async def _show_progress(self, chat_id: int) -> None:
        await asyncio.sleep(PROGRESS_FIRST_SECONDS)
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
