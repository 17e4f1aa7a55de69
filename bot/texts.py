"""Every user-facing text, per language, in one place.

Texts are HTML (parse_mode=HTML) with `str.format` placeholders; values that come from users
are escaped by `t()`. A number can choose its noun's form with a plural spec, e.g.
`{credits} {credits:credit|credits}` in English and `{credits:кредит|кредита|кредитов}` in
Russian, so no language has to write "1 credits". A catalog test checks that every language
has every key with the same placeholders, the right number of plural forms and valid
Telegram HTML.
"""

from __future__ import annotations

import html
import string
from collections.abc import Callable, Mapping
from typing import Any

from bot.texts_en import EN
from bot.texts_ru import RU

CATALOGS: Mapping[str, Mapping[str, str]] = {"en": EN, "ru": RU}
DEFAULT_LANGUAGE = "en"
LANGUAGE_NAMES = {"en": "English", "ru": "Русский"}


def _english_form(n: int) -> int:
    return 0 if n == 1 else 1


def _russian_form(n: int) -> int:
    if n % 10 == 1 and n % 100 != 11:
        return 0
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return 1
    return 2


# Which form of a noun a number takes: (rule, number of forms a plural spec must give).
PLURAL_RULES: Mapping[str, tuple[Callable[[int], int], int]] = {
    "en": (_english_form, 2),
    "ru": (_russian_form, 3),
}


class Html(str):
    """Already-safe HTML (e.g. catalog text joined into another): `t()` will not escape it."""


class _CatalogFormatter(string.Formatter):
    """str.format plus plural specs: `{n:form|forms}` renders the form that fits n."""

    def __init__(self, lang: str) -> None:
        self._rule = PLURAL_RULES.get(lang, PLURAL_RULES[DEFAULT_LANGUAGE])[0]

    def format_field(self, value: Any, format_spec: str) -> Any:
        if "|" in format_spec and isinstance(value, int):
            forms = format_spec.split("|")
            return forms[min(self._rule(abs(value)), len(forms) - 1)]
        return super().format_field(value, format_spec)


def language_for(code: str | None) -> str:
    """Map a Telegram language_code (e.g. 'ru', 'pt-br') to one of our catalogs."""
    base = (code or "").split("-")[0].lower()
    return base if base in CATALOGS else DEFAULT_LANGUAGE


def t(key: str, lang: str | None = None, /, **params: object) -> str:
    chosen = language_for(lang)
    template = CATALOGS[chosen].get(key)
    if template is None:
        chosen, template = DEFAULT_LANGUAGE, CATALOGS[DEFAULT_LANGUAGE][key]
    safe = {
        name: html.escape(value, quote=False)
        if isinstance(value, str) and not isinstance(value, Html)
        else value
        for name, value in params.items()
    }
    return _CatalogFormatter(chosen).vformat(template, (), safe)


def style_name(style: str, lang: str | None) -> str:
    return t(f"style.{style}", lang)
