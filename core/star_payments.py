"""Stars that are never lost: store the payment, then credit it, retrying each step.

The payment row commits on its own first; crediting is a second transaction retried with a
bounded backoff. When the database stays away longer than that (or the process dies between
the two), the row waits "received, not credited" and reconciliation (core/star_reconciliation.py)
credits it. Every log line names the charge id, never the bot token or the payload's MAC.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core import ledger, purchases
from core.db import unit_of_work
from core.events import JobEvents
from core.payments import Checkout, Purchase, Refund, check_paid, decode_payload
from core.purchases import Received

log = logging.getLogger(__name__)

RETRY_DELAYS = (0.2, 0.5, 1.0, 2.0, 4.0)  # then reconciliation takes over
T = TypeVar("T")


class StarPayments:
    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        invoice_secret: bytes,
        events: JobEvents,
        retry_delays: Sequence[float] = RETRY_DELAYS,
    ) -> None:
        self._sessions = sessions
        self._secret = invoice_secret
        self._events = events
        self._delays = tuple(retry_delays)

    def received(self, checkout: Checkout, *, charge_id: str) -> Received:
        """What a successful_payment promises; PaymentRefused when the payload is not ours."""
        claim = check_paid(self._secret, checkout)
        return Received(
            charge_id=charge_id,
            payer_id=checkout.payer_id,
            payload=checkout.payload,
            stars=checkout.amount,
            claim=claim,
        )

    def from_history(self, *, charge_id: str, payer_id: int, payload: str, stars: int) -> Received:
        """A payment as the Stars history (or a refunded_payment) reports it: the payload is
        checked for our signature, not for the payer (Telegram vouches for that)."""
        claim = decode_payload(secret=self._secret, payload=payload)
        return Received(
            charge_id=charge_id, payer_id=payer_id, payload=payload, stars=stars, claim=claim
        )

    async def receive(self, received: Received) -> Purchase | None:
        """Store, then credit; None when the database stayed away through every retry (the
        stored payment, or Telegram's history, lets reconciliation credit it later)."""
        charge_id = received.charge_id
        log.info("payment received: charge %s", charge_id, extra={"user_id": received.payer_id})
        try:
            await self._retrying(f"store {charge_id}", lambda s: purchases.record(s, received))
        except Exception:
            log.error("payment %s not stored; reconciliation will find it", charge_id)
            return None
        return await self.credit(charge_id)

    async def credit(self, charge_id: str) -> Purchase | None:
        try:
            purchase = await self._retrying(
                f"credit {charge_id}", lambda s: purchases.credit(s, charge_id)
            )
        except Exception:
            log.error("payment %s stored, not credited; reconciliation will", charge_id)
            return None
        if purchase is not None and purchase.credited:
            self._events.credits_moved(ledger.LedgerKind.PURCHASE, purchase.credits)
            log.info("purchase credited: charge %s, %d credits", charge_id, purchase.credits)
        return purchase

    async def refund(self, received: Received) -> Refund | None:
        """Telegram refunded this payment: take its pack back once (stored first if we never
        saw it, so it can never be credited afterwards); None when already applied."""
        charge_id = received.charge_id

        async def apply(session: AsyncSession) -> Refund | None:
            await purchases.record(session, received)
            return await purchases.refund(session, charge_id)

        done = await self._retrying(f"refund {charge_id}", apply)
        if done is not None:
            self._events.credits_moved(ledger.LedgerKind.PURCHASE_REFUND, done.taken)
            log.info(
                "payment %s refunded by Telegram; %d of %d credits taken back",
                charge_id,
                done.taken,
                done.credits,
                extra={"user_id": done.user_id},
            )
        return done

    async def told(self, charge_id: str) -> None:
        """The buyer heard of the credit (or may have: a lost answer); never told again."""
        try:
            await self._retrying(
                f"mark {charge_id} told", lambda s: purchases.mark_told(s, charge_id)
            )
        except Exception:
            log.warning("payment %s: could not record the notice; it may be sent twice", charge_id)

    async def claim_notice(self, charge_id: str) -> bool:
        """Reconciliation's notices: claimed before they are sent, so concurrent reconcilers
        tell a buyer once (`release_notice` when the send surely failed)."""
        async with unit_of_work(self._sessions) as session:
            return await purchases.mark_told(session, charge_id)

    async def release_notice(self, charge_id: str) -> None:
        async with unit_of_work(self._sessions) as session:
            await purchases.unmark_told(session, charge_id)

    async def untold(self) -> list[tuple[str, int, Purchase]]:
        """(charge id, buyer, what to tell) for credited payments whose buyer was not told."""
        async with unit_of_work(self._sessions) as session:
            found = []
            for payment in await purchases.untold(session):
                balance = await ledger.balance(session, payment.user_id)
                told = Purchase(credited=True, credits=payment.credits, balance=balance)
                found.append((payment.charge_id, payment.user_id, told))
            return found

    async def uncredited(self) -> list[str]:
        async with unit_of_work(self._sessions) as session:
            return await purchases.uncredited(session)

    async def _retrying(self, what: str, step: Callable[[AsyncSession], Awaitable[T]]) -> T:
        for attempt, delay in enumerate((*self._delays, None), start=1):
            try:
                async with unit_of_work(self._sessions) as session:
                    return await step(session)
            except Exception as error:
                if delay is None:
                    raise
                log.warning(
                    "%s failed (attempt %d): %s; retrying", what, attempt, type(error).__name__
                )
                await asyncio.sleep(delay)
        raise AssertionError("unreachable")
