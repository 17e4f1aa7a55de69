"""The one way a domain error becomes what the user reads, wherever it was raised.

An error's text is keyed by its code and filled with its own `params`; a code without a text
of its own reads as its nearest ancestor's (an `InvalidBlobKey` as any storage error), and
anything else as "something went wrong". Stored codes (a failed job's) take the same path.
"""

from __future__ import annotations

from telegram import InlineKeyboardMarkup

from bot.keyboards import buy_button_keyboard
from bot.texts import CATALOGS, DEFAULT_LANGUAGE, t
from core.errors import AIVengerError, InsufficientCredits

_FALLBACK = "error.internal"


def _known(code: str) -> bool:
    return f"error.{code}" in CATALOGS[DEFAULT_LANGUAGE]


def _errors_by_code() -> dict[str, type[AIVengerError]]:
    found: dict[str, type[AIVengerError]] = {}
    pending: list[type[AIVengerError]] = [AIVengerError]
    while pending:
        cls = pending.pop()
        found.setdefault(cls.code, cls)
        pending.extend(cls.__subclasses__())
    return found


def _text_key(error_type: type[AIVengerError]) -> str:
    for cls in error_type.__mro__:
        code = getattr(cls, "code", None)
        if isinstance(code, str) and _known(code):
            return f"error.{code}"
    return _FALLBACK


def refusal_text(error: BaseException, lang: str | None) -> str:
    """What the user reads for an error raised while handling their update."""
    if not isinstance(error, AIVengerError):
        return t(_FALLBACK, lang)
    return t(_text_key(type(error)), lang, **error.params)


def refusal_markup(error: BaseException, lang: str | None) -> InlineKeyboardMarkup | None:
    """A way out where there is one: a refusal for lack of credits offers to buy some."""
    return buy_button_keyboard(lang) if isinstance(error, InsufficientCredits) else None


def failure_reason(code: str, lang: str | None) -> str:
    """Why a job failed, from the code stored on it (such texts take no parameters)."""
    error_type = _errors_by_code().get(code)
    if error_type is None:
        return t(f"error.{code}" if _known(code) else _FALLBACK, lang)
    return t(_text_key(error_type), lang)
