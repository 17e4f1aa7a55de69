"""Reconciling our payments with Telegram's Stars history (getStarTransactions).

Telegram's history is the truth about Stars: an invoice payment we never stored (the update was
lost, the process died before storing it) is stored and credited; a refund we never applied
(a `refunded_payment` we missed, an admin refund that died halfway) is applied. Payments stored
but never credited are credited from our own table first, without asking Telegram. Every step is
keyed by charge id and locks the payment row, so any number of processes may reconcile at once
and the buyer is told only by the one whose transaction credited (or refunded).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core import purchases
from core.db import unit_of_work
from core.errors import AIVengerError
from core.payments import Purchase, Refund
from core.star_payments import StarPayments

log = logging.getLogger(__name__)

PAGE_SIZE = 100  # getStarTransactions' maximum


@dataclass(frozen=True, slots=True, kw_only=True)
class StarTransaction:
    """One entry of the Stars history, in the domain's words: an invoice payment from a user
    (`incoming`) or its refund (same charge id, outgoing)."""

    charge_id: str
    user_id: int
    payload: str
    stars: int
    incoming: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class HistoryPage:
    transactions: Sequence[StarTransaction]  # ours; other kinds of transaction left out
    size: int  # how many Telegram returned: fewer than asked for is the last page


@dataclass(slots=True)
class Reconciled:
    credited: int = 0
    refunded: int = 0
    skipped: int = 0  # not an invoice payment of ours (a foreign payload)


FetchPage = Callable[[int, int], Awaitable[HistoryPage]]  # (offset, limit)
TellCredited = Callable[[int, Purchase], Awaitable[bool]]  # False: surely not delivered
TellRefunded = Callable[[Refund], Awaitable[None]]


class StarReconciler:
    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        payments: StarPayments,
        fetch_page: FetchPage,
        tell_credited: TellCredited,
        tell_refunded: TellRefunded,
        page_size: int = PAGE_SIZE,
    ) -> None:
        self._sessions = sessions
        self._payments = payments
        self._fetch = fetch_page
        self._tell_credited = tell_credited
        self._tell_refunded = tell_refunded
        self._page_size = page_size

    async def reconcile(self) -> Reconciled:
        """One full pass: our uncredited payments, then Telegram's whole history."""
        outcome = Reconciled()
        for charge_id in await self._payments.uncredited():
            await self._credit(charge_id, outcome)
        offset = 0
        while True:
            page = await self._fetch(offset, self._page_size)
            await self._settle(page.transactions, outcome)
            if page.size < self._page_size:
                break
            offset += page.size
        await self._tell_untold()
        if outcome.credited or outcome.refunded:
            log.info(
                "reconciled with Telegram: %d credited, %d refunded",
                outcome.credited,
                outcome.refunded,
            )
        return outcome

    async def _settle(self, page: Sequence[StarTransaction], outcome: Reconciled) -> None:
        """Newest first: a refund comes before its payment, so a payment refunded before we
        ever saw it is stored refunded and never credited."""
        async with unit_of_work(self._sessions) as session:
            stored = await purchases.known(session, [txn.charge_id for txn in page])
        for txn in page:
            payment = stored.get(txn.charge_id)
            if payment is not None and payment.refunded_at is not None:
                continue
            if txn.incoming and payment is not None and payment.credited_at is not None:
                continue
            try:
                received = self._payments.from_history(
                    charge_id=txn.charge_id,
                    payer_id=txn.user_id,
                    payload=txn.payload,
                    stars=txn.stars,
                )
            except AIVengerError:
                outcome.skipped += 1
                continue
            if txn.incoming:
                log.warning("charge %s found only in Telegram's history", txn.charge_id)
                purchase = await self._payments.receive(received)
                if purchase is not None and purchase.credited:
                    outcome.credited += 1
            else:
                refund = await self._payments.refund(received)
                if refund is not None:
                    outcome.refunded += 1
                    await self._tell_refunded(refund)

    async def _credit(self, charge_id: str, outcome: Reconciled) -> None:
        log.warning("charge %s stored but not credited; crediting it now", charge_id)
        purchase = await self._payments.credit(charge_id)
        if purchase is not None and purchase.credited:
            outcome.credited += 1

    async def _tell_untold(self) -> None:
        """Buyers not yet told of a credit (whoever credited it): claimed, then told."""
        for charge_id, user_id, purchase in await self._payments.untold():
            if not await self._payments.claim_notice(charge_id):
                continue  # another reconciler tells this one
            if not await self._tell_credited(user_id, purchase):
                await self._payments.release_notice(charge_id)
