"""Every user-facing text, per language, in one place.

Texts are HTML (parse_mode=HTML) with `str.format` placeholders; values that come from users
are escaped by `t()`. A catalog test checks that every language has every key with the same
placeholders and valid Telegram HTML.
"""

from __future__ import annotations

import html
from collections.abc import Mapping

from bot.texts_en import EN
from bot.texts_ru import RU

CATALOGS: Mapping[str, Mapping[str, str]] = {"en": EN, "ru": RU}
DEFAULT_LANGUAGE = "en"
LANGUAGE_NAMES = {"en": "English", "ru": "Русский"}


class Html(str):
    """Already-safe HTML (e.g. catalog text joined into another): `t()` will not escape it."""


def language_for(code: str | None) -> str:
    """Map a Telegram language_code (e.g. 'ru', 'pt-br') to one of our catalogs."""
    base = (code or "").split("-")[0].lower()
    return base if base in CATALOGS else DEFAULT_LANGUAGE


def t(key: str, lang: str | None = None, /, **params: object) -> str:
    catalog = CATALOGS.get(lang or DEFAULT_LANGUAGE, CATALOGS[DEFAULT_LANGUAGE])
    template = catalog.get(key) or CATALOGS[DEFAULT_LANGUAGE][key]
    safe = {
        name: html.escape(value, quote=False)
        if isinstance(value, str) and not isinstance(value, Html)
        else value
        for name, value in params.items()
    }
    return template.format(**safe)


def style_name(style: str, lang: str | None) -> str:
    return t(f"style.{style}", lang)


def error_text(code: str, lang: str | None, /, **params: object) -> str:
    """The one mapping from a domain error code to what the user reads."""
    key = f"error.{code}"
    catalog = CATALOGS.get(lang or DEFAULT_LANGUAGE, CATALOGS[DEFAULT_LANGUAGE])
    if key not in catalog and key not in CATALOGS[DEFAULT_LANGUAGE]:
        key = "error.internal"
    return t(key, lang, **params)
