"""Every domain error renders through one function, with the numbers its text needs."""

from __future__ import annotations

import string

import pytest

from bot.refusals import failure_reason, refusal_markup, refusal_text
from bot.texts import CATALOGS
from core.errors import (
    AIVengerError,
    ImageOverDecodeBudget,
    InsufficientCredits,
    InvalidBlobKey,
    PaymentRefused,
    SendFlood,
    StickerFlood,
    TooManyActive,
)


def every_error_type() -> list[type[AIVengerError]]:
    found, pending = [], [AIVengerError]
    while pending:
        cls = pending.pop()
        found.append(cls)
        pending.extend(cls.__subclasses__())
    return sorted(found, key=lambda cls: cls.__name__)


def example(cls: type[AIVengerError]) -> AIVengerError:
    if issubclass(cls, InsufficientCredits):
        return cls(balance=3, cost=10)
    if issubclass(cls, TooManyActive):
        return cls(limit=3)
    if issubclass(cls, PaymentRefused):
        return cls("invalid")
    if issubclass(cls, (SendFlood, StickerFlood)):
        return cls(7.0)
    if issubclass(cls, ImageOverDecodeBudget):
        return cls(width=9000, height=9000, mode="RGB", needed=300 << 20, budget=64 << 20)
    return cls("what happened")


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("cls", every_error_type(), ids=lambda cls: cls.__name__)
@pytest.mark.parametrize("lang", sorted(CATALOGS))
def test_every_error_renders_in_every_language_without_missing_numbers(
    cls: type[AIVengerError], lang: str
) -> None:
    error = example(cls)
    key = f"error.{error.code}"
    if key in CATALOGS[lang]:
        assert placeholders(CATALOGS[lang][key]) <= set(error.params), key
    text = refusal_text(error, lang)

    assert text and "{" not in text


def test_a_refusal_for_credits_shows_balance_and_cost_and_offers_to_buy() -> None:
    error = InsufficientCredits(balance=3, cost=10)

    assert "an avatar costs 10, you have 3" in refusal_text(error, "en")
    markup = refusal_markup(error, "en")
    assert markup is not None and markup.inline_keyboard[0][0].callback_data == "b:"
    assert refusal_markup(TooManyActive(limit=3), "en") is None


def test_an_error_without_its_own_text_reads_as_its_nearest_ancestor() -> None:
    storage = refusal_text(InvalidBlobKey("../etc/passwd"), "en")

    assert storage.startswith("⚠️ Storage is temporarily unavailable")
    assert refusal_text(ValueError("a bug"), "en") == CATALOGS["en"]["error.internal"]


def test_a_stored_failure_code_reads_as_its_error_would() -> None:
    assert failure_reason("invalid_blob_key", "en") == refusal_text(InvalidBlobKey("x"), "en")
    assert failure_reason("model_timeout", "ru") == CATALOGS["ru"]["error.model_timeout"]
    assert failure_reason("no_such_code", "en") == CATALOGS["en"]["error.internal"]
