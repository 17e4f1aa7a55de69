"""Telegram Bot API limits and the exact error texts the real server answers with.

Kept in one place so the emulator fails the way Telegram does: a bot that passes against the
emulator should not trip over a limit in production. Where Telegram's exact wording is not
documented (invoice and command validation), the texts are the ones observed in the wild.
"""

from __future__ import annotations

import math
import re
from collections import deque
from typing import Any

from .errors import JsonDict, bad_request, too_many_requests
from .formatting import render

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64
MAX_INLINE_BUTTONS = 100
MAX_CALLBACK_ANSWER_LENGTH = 200
MAX_PHOTO_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024
MAX_PHOTO_DIMENSIONS_SUM = 10_000
MAX_PHOTO_ASPECT_RATIO = 20
MAX_COMMANDS = 100

NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the "
    "same as a current content and reply markup of the message"
)
QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"
WRONG_FILE_ID = "wrong file identifier/HTTP URL specified"
BLOCKED = "bot was blocked by the user"

CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
_BUTTON_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
_COMMAND_RE = re.compile(r"[a-z0-9_]{1,32}")
_URL_RE = re.compile(r"(https?|tg)://\S+")
_MESSAGE_METHOD_PREFIXES = ("send", "edit", "copy", "forward")


def check_text(params: JsonDict) -> tuple[str, list[JsonDict]]:
    """Validates `text` the way sendMessage/editMessageText do: length counts rendered text."""
    raw = params.get("text")
    if raw is None:
        raise bad_request("message text is empty")
    text, entities = render(str(raw), params.get("parse_mode"), params.get("entities"))
    if not text:
        raise bad_request("message text is empty")
    if len(text) > MAX_TEXT_LENGTH:
        raise bad_request("message is too long")
    return text, entities


def check_caption(params: JsonDict) -> tuple[str | None, list[JsonDict]]:
    """An absent or empty caption means "no caption", which Telegram allows."""
    raw = params.get("caption")
    if raw is None or raw == "":
        return None, []
    text, entities = render(str(raw), params.get("parse_mode"), params.get("caption_entities"))
    if len(text) > MAX_CAPTION_LENGTH:
        raise bad_request("message caption is too long")
    return text or None, entities


def check_reply_markup(markup: Any) -> JsonDict | None:
    """Validates any reply_markup; inline keyboards get Telegram's per-button checks."""
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" not in markup:
        if any(key in markup for key in ("keyboard", "remove_keyboard", "force_reply")):
            return markup
        raise bad_request("can't parse reply keyboard markup JSON object")
    rows = markup["inline_keyboard"]
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request(
            "can't parse inline keyboard button: InlineKeyboardButton must be an Object"
        )
    buttons = [button for row in rows for button in row]
    if len(buttons) > MAX_INLINE_BUTTONS:
        raise bad_request("REPLY_MARKUP_TOO_LONG")
    for button in buttons:
        _check_button(button)
    return markup


def _check_button(button: Any) -> None:
    if not isinstance(button, dict) or not isinstance(button.get("text"), str):
        raise bad_request("can't parse inline keyboard button: Text must be a String")
    if not any(key in button for key in _BUTTON_ACTIONS):
        raise bad_request("text buttons are unallowed in the inline keyboard")
    if "callback_data" in button:
        data = button["callback_data"]
        if not isinstance(data, str) or not 1 <= len(data.encode()) <= MAX_CALLBACK_DATA_BYTES:
            raise bad_request("BUTTON_DATA_INVALID")
    if "url" in button and not _URL_RE.fullmatch(str(button["url"])):
        raise bad_request("BUTTON_URL_INVALID")


def button_labels(markup: JsonDict | None) -> str:
    """Inline buttons as " [A] [B]" so transcripts show what the user could press."""
    if not markup or "inline_keyboard" not in markup:
        return ""
    return "".join(f" [{b.get('text', '')}]" for row in markup["inline_keyboard"] for b in row)


def check_commands(commands: Any) -> list[JsonDict]:
    if not isinstance(commands, list) or len(commands) > MAX_COMMANDS:
        raise bad_request("BOT_COMMANDS_TOO_MUCH")
    for command in commands:
        if not isinstance(command, dict) or not _COMMAND_RE.fullmatch(str(command.get("command"))):
            raise bad_request("BOT_COMMAND_INVALID")
        if not 1 <= len(str(command.get("description") or "")) <= 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
    return [{"command": c["command"], "description": c["description"]} for c in commands]


def check_invoice(params: JsonDict) -> JsonDict:
    """Returns the message's Invoice object; Stars (XTR) invoices have no provider, one price."""
    title, description = str(params.get("title") or ""), str(params.get("description") or "")
    payload, currency = str(params.get("payload") or ""), str(params.get("currency") or "")
    prices = params.get("prices")
    if not 1 <= len(title) <= 32:
        raise bad_request("INVOICE_TITLE_INVALID")
    if not 1 <= len(description) <= 255:
        raise bad_request("INVOICE_DESCRIPTION_INVALID")
    if not 1 <= len(payload.encode()) <= 128:
        raise bad_request("INVOICE_PAYLOAD_INVALID")
    if currency == "XTR":
        if params.get("provider_token"):
            raise bad_request("PAYMENT_PROVIDER_INVALID")
        if not isinstance(prices, list) or len(prices) != 1:
            raise bad_request("STARS_INVOICE_INVALID")
    elif not params.get("provider_token"):
        raise bad_request("PAYMENT_PROVIDER_INVALID")
    if not isinstance(prices, list) or not prices:
        raise bad_request("CURRENCY_TOTAL_AMOUNT_INVALID")
    try:
        total = sum(int(price["amount"]) for price in prices)
    except (KeyError, TypeError, ValueError):
        raise bad_request("can't parse prices JSON object") from None
    if total <= 0:
        raise bad_request("CURRENCY_TOTAL_AMOUNT_INVALID")
    return {
        "title": title,
        "description": description,
        "start_parameter": str(params.get("start_parameter") or ""),
        "currency": currency,
        "total_amount": total,
    }


def is_message_method(method: str) -> bool:
    """Telegram's flood limits apply to methods that create or change messages."""
    name = method.lower()
    return name.startswith(_MESSAGE_METHOD_PREFIXES) and name != "sendchataction"


class RateLimiter:
    """Sliding one-second windows: a global budget and an optional per-chat one."""

    def __init__(self) -> None:
        self.global_per_second: int | None = None
        self.per_chat_per_second: int | None = None
        self.limited_count = 0
        self._global: deque[float] = deque()
        self._chats: dict[Any, deque[float]] = {}

    def admit(self, chat_id: Any, now: float) -> None:
        """Records one call or raises 429 with the seconds until the window frees a slot."""
        windows = [(self._global, self.global_per_second)]
        if self.per_chat_per_second is not None and chat_id is not None:
            windows.append((self._chats.setdefault(chat_id, deque()), self.per_chat_per_second))
        for window, limit in windows:
            while window and window[0] <= now - 1.0:
                window.popleft()
            if limit is not None and len(window) >= limit:
                self.limited_count += 1
                raise too_many_requests(max(1, math.ceil(window[0] + 1.0 - now)))
        for window, _ in windows:
            window.append(now)
