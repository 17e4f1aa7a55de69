"""Ending a job's attempt without an avatar: failed, refunded once (per policy) and the user told,
unless a send of it is in doubt (then it completes unconfirmed: maybe delivered is never refunded).
"""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core import claims, ledger, users
from core.db import unit_of_work
from core.delivery_port import AvatarDelivery, FailedAvatar, JobPolicy
from core.errors import AIVengerError
from core.events import JobEvents, JobSummary
from core.models import DeliveryState

log = logging.getLogger(__name__)


class JobFailure:
    """The failure step of `core.jobs.JobRunner`, also used by the sweeper's recovery."""

    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        delivery: AvatarDelivery,
        policy: JobPolicy,
        events: JobEvents,
    ) -> None:
        self._sessions = sessions
        self._delivery = delivery
        self._policy = policy
        self._events = events

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
