"""Buying credits with Telegram Stars: the packs on offer, signed invoices, purchases, refunds.

The invoice key is derived once, when the composition root builds this service; checkout is
answered from memory (Telegram waits at most 10 seconds), credits move only on payment.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core import ledger, payments
from core.db import unit_of_work
from core.events import JobEvents
from core.payments import Checkout, Claim, Refund
from core.settings_values import CreditPack


@dataclass(frozen=True, slots=True, kw_only=True)
class Pack:
    pack_id: str
    credits: int
    stars: int
    avatars: int  # how many avatars the pack pays for


@dataclass(frozen=True, slots=True, kw_only=True)
class Invoice:
    """What to send as a Telegram invoice: the pack and our signed payload for it."""

    pack: Pack
    payload: str
    currency: str = payments.CURRENCY


@dataclass(frozen=True, slots=True, kw_only=True)
class RefundPreview:
    """What confirming a refund would do, as of now (the buyer may still spend meanwhile)."""

    payment_id: int
    charge_id: str
    user_id: int
    stars: int  # returned to the buyer by Telegram
    credits: int  # the pack
    taken: int  # credits taken back: the pack, up to the buyer's balance
    shortfall: int  # the pack's credits already spent
    refunded: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class PaymentRecord:
    charge_id: str
    user_id: int
    stars: int
    credits: int
    refunded: bool


class PaymentService:
    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        packs: Sequence[CreditPack],
        invoice_secret: bytes,
        generation_cost: int,
        events: JobEvents,
    ) -> None:
        self._sessions = sessions
        self._packs = packs  # the configured list itself: what is on sale is read at checkout
        self._secret = invoice_secret
        self._cost = generation_cost
        self._events = events

    def packs(self) -> list[Pack]:
        return [self._pack(pack) for pack in self._packs]

    def invoice(self, user_id: int, pack_id: str) -> Invoice | None:
        """An invoice signed for this user, or None for a pack we do not sell (any more)."""
        pack = payments.find_pack(self._packs, pack_id)
        if pack is None:
            return None
        payload = payments.encode_payload(secret=self._secret, user_id=user_id, pack=pack)
        return Invoice(pack=self._pack(pack), payload=payload)

    def check_checkout(self, checkout: Checkout) -> Claim:
        """No I/O: Telegram wants the answer within 10 seconds."""
        return payments.check_checkout(self._secret, self._packs, checkout)

    async def payment(self, charge_id: str) -> PaymentRecord | None:
        async with unit_of_work(self._sessions) as session:
            found = await payments.find_payment(session, charge_id)
            if found is None:
                return None
            return PaymentRecord(
                charge_id=found.charge_id,
                user_id=found.user_id,
                stars=found.stars,
                credits=found.credits,
                refunded=found.refunded_at is not None,
            )

    async def preview_refund(
        self, charge_id: str | None = None, *, payment_id: int | None = None
    ) -> RefundPreview | None:
        """The refund of one payment as `record_refund` would do it now; None if unknown."""
        async with unit_of_work(self._sessions) as session:
            found = await payments.find_payment(session, charge_id, payment_id=payment_id)
            if found is None:
                return None
            taken = min(found.credits, max(0, await ledger.balance(session, found.user_id)))
            return RefundPreview(
                payment_id=found.id,
                charge_id=found.charge_id,
                user_id=found.user_id,
                stars=found.stars,
                credits=found.credits,
                taken=taken,
                shortfall=found.credits - taken,
                refunded=found.refunded_at is not None,
            )

    async def record_refund(self, charge_id: str) -> Refund | None:
        """Take the pack's credits back once; None when it was refunded already."""
        async with unit_of_work(self._sessions) as session:
            refund = await payments.debit_refund(session, charge_id=charge_id)
        if refund is not None:
            self._events.credits_moved(ledger.LedgerKind.PURCHASE_REFUND, refund.taken)
        return refund

    def _pack(self, pack: CreditPack) -> Pack:
        return Pack(
            pack_id=pack.pack_id,
            credits=pack.credits,
            stars=pack.stars,
            avatars=pack.credits // self._cost,
        )
