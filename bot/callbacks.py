"""Callback data: a compact, parseable format, never trusted.

Telegram returns callback_data exactly as the client sends it, so anything may arrive here.
`parse` accepts only the shapes we make and returns None for the rest; handlers then check
that the generation named belongs to the user who pressed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

MAX_CALLBACK_BYTES = 64


class Action(StrEnum):
    PREV = "p"
    NEXT = "n"
    ASK_DELETE = "d"
    CONFIRM_DELETE = "y"
    CANCEL_DELETE = "c"
    FULL_SIZE = "f"
    AGAIN = "a"
    OPEN_GALLERY = "g"
    STYLE = "s"
    BUY = "b"
    PACK = "k"
    LANGUAGE = "l"
    ALBUM = "m"  # value: "1" (one avatar from all) or "n" (separate), then the album id
    REFUND_CONFIRM = "r"  # value: the payment's row id (a charge id may pass 64 bytes)
    REFUND_CANCEL = "v"
    STICKER = "t"
    BROADCAST_SEND = "o"  # value: the id of the admin's message to copy
    BROADCAST_DROP = "x"


_GEN_ACTIONS = {
    Action.PREV,
    Action.NEXT,
    Action.ASK_DELETE,
    Action.CONFIRM_DELETE,
    Action.CANCEL_DELETE,
    Action.FULL_SIZE,
    Action.AGAIN,
    Action.STICKER,
}
GALLERY_ACTIONS = (
    Action.PREV,
    Action.NEXT,
    Action.ASK_DELETE,
    Action.CONFIRM_DELETE,
    Action.CANCEL_DELETE,
    Action.FULL_SIZE,
    Action.OPEN_GALLERY,
)
_REFUND_ACTIONS = {Action.REFUND_CONFIRM, Action.REFUND_CANCEL}
_PATTERN = re.compile(r"([a-z]):([a-z0-9_]{0,40})")
_GEN_ID = re.compile(r"[0-9a-f]{32}")
_ROW_ID = re.compile(r"[0-9]{1,18}")


@dataclass(frozen=True, slots=True)
class Callback:
    action: Action
    value: str = ""


def encode(action: Action, value: str = "") -> str:
    data = f"{action.value}:{value}"
    if len(data.encode()) > MAX_CALLBACK_BYTES:
        raise ValueError(f"callback data over {MAX_CALLBACK_BYTES} bytes: {data!r}")
    return data


def pattern_for(*actions: Action) -> re.Pattern[str]:
    """The callback-data pattern a handler of these actions is registered with."""
    return re.compile("^[" + "".join(re.escape(action.value) for action in actions) + "]:")


def parse(data: str | None) -> Callback | None:
    match = _PATTERN.fullmatch(data or "")  # fullmatch: no trailing newline slips through
    if match is None:
        return None
    try:
        action = Action(match.group(1))
    except ValueError:
        return None
    value = match.group(2)
    if action in _GEN_ACTIONS and not _GEN_ID.fullmatch(value):
        return None
    if action in _REFUND_ACTIONS and not _ROW_ID.fullmatch(value):
        return None
    return Callback(action, value)
