"""Signed invoice payloads: what pre-checkout and successful_payment accept and refuse."""

from __future__ import annotations

import pytest

from core.errors import PaymentRefused
from core.payments import (
    MAX_PAYLOAD_BYTES,
    Checkout,
    check_checkout,
    check_paid,
    decode_payload,
    encode_payload,
    invoice_secret,
)
from core.settings_values import CreditPack

SECRET = invoice_secret("123456:TEST-TOKEN")
PACKS = [CreditPack(("p50", 50, 50)), CreditPack(("p120", 120, 100))]


def checkout(
    payload: str,
    *,
    payer: int = 7,
    amount: int = 50,
    currency: str = "XTR",
    packs: list[CreditPack] = PACKS,
) -> None:
    check_checkout(
        SECRET, packs, Checkout(payload=payload, payer_id=payer, currency=currency, amount=amount)
    )


def refusal(payload: str, **kwargs: object) -> str:
    with pytest.raises(PaymentRefused) as caught:
        checkout(payload, **kwargs)  # type: ignore[arg-type]
    return caught.value.reason


def test_a_payload_names_user_pack_credits_and_price_and_round_trips() -> None:
    payload = encode_payload(secret=SECRET, user_id=7, pack=PACKS[0])

    claim = decode_payload(secret=SECRET, payload=payload)
    assert (claim.user_id, claim.pack_id, claim.credits, claim.stars) == (7, "p50", 50, 50)
    checkout(payload)  # accepted


def test_the_largest_payload_fits_telegrams_128_bytes() -> None:
    huge = CreditPack(("p999999999", 999_999_999, 999_999_999))
    payload = encode_payload(secret=SECRET, user_id=2**63 - 1, pack=huge)

    assert len(payload.encode()) <= MAX_PAYLOAD_BYTES
    assert decode_payload(secret=SECRET, payload=payload).user_id == 2**63 - 1


@pytest.mark.parametrize(
    "edit",
    [
        lambda p: p.replace(":p50:50:50:", ":p50:500:50:"),  # more credits
        lambda p: p.replace(":p50:50:50:", ":p50:50:5:"),  # lower price
        lambda p: p.replace("v1:7:", "v1:8:"),  # someone else's account
        lambda p: p[:-1] + ("0" if p[-1] != "0" else "1"),  # a different MAC
        lambda p: p + "x",
        lambda p: "",
        lambda p: "hello",
    ],
)
def test_any_edit_of_a_payload_is_refused_as_invalid(edit: object) -> None:
    payload = encode_payload(secret=SECRET, user_id=7, pack=PACKS[0])

    assert refusal(edit(payload), payer=8 if "v1:8:" in edit(payload) else 7) == "invalid"  # type: ignore[operator]


def test_a_payload_signed_with_another_bot_token_is_invalid() -> None:
    other = encode_payload(secret=invoice_secret("999:OTHER"), user_id=7, pack=PACKS[0])

    assert refusal(other) == "invalid"


def test_another_users_payload_is_refused() -> None:
    payload = encode_payload(secret=SECRET, user_id=7, pack=PACKS[0])

    assert refusal(payload, payer=8) == "not_yours"


def test_a_changed_or_withdrawn_price_is_refused_at_checkout_but_not_after_payment() -> None:
    payload = encode_payload(secret=SECRET, user_id=7, pack=PACKS[0])
    repriced = [CreditPack(("p50", 50, 60)), PACKS[1]]

    assert refusal(payload, amount=49) == "price_changed"
    assert refusal(payload, currency="USD") == "price_changed"
    assert refusal(payload, packs=repriced) == "price_changed"
    assert refusal(payload, packs=[PACKS[1]]) == "unknown_pack"
    # Once Telegram took the Stars, the signed invoice is honoured as sold.
    claim = check_paid(SECRET, Checkout(payload=payload, payer_id=7, currency="XTR", amount=50))
    assert claim.credits == 50
