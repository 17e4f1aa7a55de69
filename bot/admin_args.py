"""Admin command arguments, parsed strictly: ASCII digits in sane ranges, nothing else.

`str.isdigit` accepts '²' and '١٢' and `int()` then raises or reads Arabic-Indic digits; a
number thousands of digits long costs CPU before `int()` refuses it. Every parser here
takes the words after the command and returns a typed value, or None for "show the usage".
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

# Telegram user ids fit in 52 bits; credits in one grant are bounded by policy.
MAX_USER_ID = 2**52
MAX_GRANT = 1_000_000
MAX_REASON_CHARS = 200
_DIGITS = re.compile(r"[0-9]{1,16}")
# Telegram charge ids are ASCII letters, digits and a few separators (`stxAbC…`, `_`, `-`).
_CHARGE_ID = re.compile(r"[A-Za-z0-9_\-.:]{1,255}")


@dataclass(frozen=True, slots=True, kw_only=True)
class GrantArgs:
    user_id: int
    amount: int
    reason: str | None


def number(text: str, *, low: int, high: int) -> int | None:
    """`text` as an int when it is 1-16 ASCII digits within [low, high]; else None."""
    if _DIGITS.fullmatch(text) is None:
        return None
    value = int(text)
    return value if low <= value <= high else None


def user_id(text: str) -> int | None:
    return number(text, low=1, high=MAX_USER_ID)


def grant_args(args: Sequence[str]) -> GrantArgs | None:
    """`/grant <user id> <credits> [reason…]`; the reason is free text (escaped when shown)."""
    if len(args) < 2:
        return None
    target, amount = user_id(args[0]), number(args[1], low=1, high=MAX_GRANT)
    if target is None or amount is None:
        return None
    reason = " ".join(args[2:])[:MAX_REASON_CHARS]
    return GrantArgs(user_id=target, amount=amount, reason=reason or None)


def user_args(args: Sequence[str]) -> int | None:
    """`/user <user id>`: exactly one id."""
    return user_id(args[0]) if len(args) == 1 else None


def refund_args(args: Sequence[str]) -> str | None:
    """`/refund <charge id>`: exactly one Telegram charge id."""
    if len(args) != 1 or _CHARGE_ID.fullmatch(args[0]) is None:
        return None
    return args[0]


def no_args(args: Sequence[str]) -> bool:
    """`/stats` takes nothing; anything after it is a mistake worth a usage line."""
    return not args
