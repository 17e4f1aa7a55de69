"""Credit packs sold for Telegram Stars: signed invoice payloads, purchases and refunds.

The invoice payload travels through the client and comes back in pre_checkout_query and
successful_payment, so it carries the user, pack, credits and price plus an HMAC keyed from
the bot token: a forged, edited or forwarded payload is refused at checkout. A purchase is
credited once per Telegram charge id; a refund takes back at most what the user still has.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import purchases  # purchases uses this module at call time only
from core.errors import NotFound, PaymentRefused
from core.models import Payment
from core.settings_values import CreditPack

CURRENCY = "XTR"  # Telegram Stars
MAX_PAYLOAD_BYTES = 128
_VERSION = "v1"
_MAC_HEX_CHARS = 32  # 128 bits of HMAC-SHA256: forging needs the bot token
_PAYLOAD = re.compile(r"^v1:(\d{1,20}):([a-z0-9_]{1,16}):(\d{1,9}):(\d{1,9}):([0-9a-f]{32})$")


@dataclass(frozen=True, slots=True, kw_only=True)
class Checkout:
    """What Telegram reports at checkout and on payment: our payload back, payer, amount."""

    payload: str
    payer_id: int
    currency: str
    amount: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Claim:
    """What a signed payload promises: this user gets `credits` for `stars`."""

    user_id: int
    pack_id: str
    credits: int
    stars: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Purchase:
    credited: bool  # False: this charge was already credited (a redelivered update)
    credits: int
    balance: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Refund:
    user_id: int
    stars: int
    credits: int
    taken: int  # may be less than `credits` when some were already spent
    balance: int

    @property
    def shortfall(self) -> int:
        """The pack's credits the buyer had spent: refunded in Stars, not taken back."""
        return self.credits - self.taken


def invoice_secret(bot_token: str) -> bytes:
    """A key only the bot knows, derived so the raw token is never used as a MAC key."""
    return hashlib.sha256(b"aivenger-invoice:" + bot_token.encode()).digest()


def encode_payload(*, secret: bytes, user_id: int, pack: CreditPack) -> str:
    body = f"{_VERSION}:{user_id}:{pack.pack_id}:{pack.credits}:{pack.stars}"
    payload = f"{body}:{_mac(secret, body)}"
    if len(payload.encode()) > MAX_PAYLOAD_BYTES:
        raise ValueError(f"invoice payload over {MAX_PAYLOAD_BYTES} bytes")
    return payload


def decode_payload(*, secret: bytes, payload: str) -> Claim:
    """The claim of a payload we signed; PaymentRefused('invalid') for anything else."""
    match = _PAYLOAD.match(payload or "")
    if match is None:
        raise PaymentRefused("invalid")
    body, mac = payload.rsplit(":", 1)
    if not hmac.compare_digest(mac, _mac(secret, body)):
        raise PaymentRefused("invalid")
    user_id, pack_id, credits, stars, _ = match.groups()
    return Claim(user_id=int(user_id), pack_id=pack_id, credits=int(credits), stars=int(stars))


def _mac(secret: bytes, body: str) -> str:
    return hmac.new(secret, body.encode(), hashlib.sha256).hexdigest()[:_MAC_HEX_CHARS]


def find_pack(packs: Sequence[CreditPack], pack_id: str) -> CreditPack | None:
    return next((pack for pack in packs if pack.pack_id == pack_id), None)


def check_paid(secret: bytes, checkout: Checkout) -> Claim:
    """A payload is ours, for this payer, and the amount paid is what it says."""
    claim = decode_payload(secret=secret, payload=checkout.payload)
    if claim.user_id != checkout.payer_id:
        raise PaymentRefused("not_yours")
    if checkout.currency != CURRENCY or checkout.amount != claim.stars:
        raise PaymentRefused("price_changed")
    return claim


def check_checkout(secret: bytes, packs: Sequence[CreditPack], checkout: Checkout) -> Claim:
    """Pre-checkout: as `check_paid`, and the pack is still sold at that price."""
    claim = check_paid(secret, checkout)
    pack = find_pack(packs, claim.pack_id)
    if pack is None:
        raise PaymentRefused("unknown_pack")
    if (pack.credits, pack.stars) != (claim.credits, claim.stars):
        raise PaymentRefused("price_changed")
    return claim


async def debit_refund(session: AsyncSession, *, charge_id: str) -> Refund | None:
    """Mark a payment refunded and take its credits back once, never below zero (the same
    step as a Telegram refund: core/purchases.py, key `purchase_refund:<charge id>`).

    None when it was already refunded; NotFound for a charge we never stored.
    """
    if await find_payment(session, charge_id) is None:
        raise NotFound(f"no payment {charge_id}")
    return await purchases.refund(session, charge_id)


async def find_payment(
    session: AsyncSession, charge_id: str | None = None, *, payment_id: int | None = None
) -> Payment | None:
    """By Telegram's charge id, or by our row id (what a button can carry in 64 bytes)."""
    if payment_id is not None:
        return await session.get(Payment, payment_id)
    return await session.scalar(select(Payment).where(Payment.charge_id == charge_id))
