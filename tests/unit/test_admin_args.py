"""Admin arguments: ASCII digits in range or the usage line, never an exception."""

from __future__ import annotations

import pytest

from bot.admin_args import GrantArgs, grant_args, no_args, refund_args, user_args

NOT_NUMBERS = [
    "²",  # superscript two: str.isdigit() says True, int() raises
    "١٢",  # Arabic-Indic twelve: int() reads it as 12
    "１２",  # fullwidth digits
    "-5",
    "+5",
    "1e3",
    "1.0",
    "0x10",
    "1_000",
    " 12",
    "12\n",
    "",
    "9" * 5000,  # past Python's int() digit limit: ValueError, not a usage line
    "9" * 17,
]


@pytest.mark.parametrize("text", NOT_NUMBERS)
def test_a_grant_amount_that_is_not_plain_ascii_digits_is_refused(text: str) -> None:
    assert grant_args(["42", text]) is None
    assert grant_args([text, "10"]) is None
    assert user_args([text]) is None


def test_a_grant_takes_a_user_an_amount_and_an_optional_reason() -> None:
    assert grant_args(["42", "10"]) == GrantArgs(user_id=42, amount=10, reason=None)
    assert grant_args(["42", "10", "sorry", "<b>x</b>"]) == GrantArgs(
        user_id=42, amount=10, reason="sorry <b>x</b>"
    )


@pytest.mark.parametrize(
    "args",
    [[], ["42"], ["0", "10"], ["42", "0"], ["42", "1000001"], ["4503599627370497", "1"]],
)
def test_missing_zero_and_out_of_range_grant_arguments_are_refused(args: list[str]) -> None:
    assert grant_args(args) is None


def test_a_grant_reason_is_capped() -> None:
    parsed = grant_args(["1", "1", "x" * 5000])
    assert parsed is not None and parsed.reason is not None and len(parsed.reason) == 200


def test_user_takes_exactly_one_id() -> None:
    assert user_args(["7"]) == 7
    assert user_args([]) is None
    assert user_args(["7", "8"]) is None


@pytest.mark.parametrize(
    "args",
    [[], ["a", "b"], ["stx 1"], ["stx<b>"], ["ѕtx1"], ["x" * 256], ["stx\u200b1"], [""]],
)
def test_refund_takes_exactly_one_ascii_charge_id(args: list[str]) -> None:
    assert refund_args(args) is None


def test_refund_accepts_a_telegram_charge_id() -> None:
    assert refund_args(["stxTEST0a1b_c-d"]) == "stxTEST0a1b_c-d"


def test_stats_takes_no_arguments() -> None:
    assert no_args([]) and not no_args(["now"])
