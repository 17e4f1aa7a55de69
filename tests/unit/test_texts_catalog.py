"""Every language has every text, with the same placeholders and valid Telegram HTML."""

from __future__ import annotations

import string

import pytest

from bot.commands import ADMIN_COMMANDS, MENU_COMMANDS
from bot.texts import CATALOGS, DEFAULT_LANGUAGE, LANGUAGE_NAMES, PLURAL_RULES, t
from core.ledger import LedgerKind
from core.settings_loading import load_settings
from core.styles import STYLES
from playground.botapi.errors import ApiError
from playground.botapi.formatting import render

REFERENCE = CATALOGS[DEFAULT_LANGUAGE]
TRANSLATIONS = [lang for lang in CATALOGS if lang != DEFAULT_LANGUAGE]
# Texts Telegram shows as plain text (pre-checkout refusals), or that are not messages.
REFUSALS = {key for key in REFERENCE if key.startswith("payment.refused.")}
PLAIN = {"months", "date.format"} | REFUSALS


def fields(template: str) -> dict[str, set[str]]:
    """Placeholder name → the format specs it is used with."""
    found: dict[str, set[str]] = {}
    for _, name, spec, _ in string.Formatter().parse(template):
        if name is not None:
            found.setdefault(name, set()).add(spec or "")
    return found


@pytest.mark.parametrize("lang", TRANSLATIONS)
def test_every_language_has_exactly_the_reference_keys(lang: str) -> None:
    catalog = CATALOGS[lang]
    assert sorted(set(REFERENCE) - set(catalog)) == [], "missing translations"
    assert sorted(set(catalog) - set(REFERENCE)) == [], "keys the reference does not have"


@pytest.mark.parametrize("lang", TRANSLATIONS)
def test_translations_keep_every_placeholder(lang: str) -> None:
    broken = {
        key: (sorted(fields(REFERENCE[key])), sorted(fields(text)))
        for key, text in CATALOGS[lang].items()
        if key in REFERENCE and set(fields(text)) != set(fields(REFERENCE[key]))
    }
    assert broken == {}


@pytest.mark.parametrize("lang", list(CATALOGS))
def test_plural_specs_give_the_language_its_number_of_forms(lang: str) -> None:
    forms = PLURAL_RULES[lang][1]
    wrong = {
        key: spec
        for key, text in CATALOGS[lang].items()
        for specs in fields(text).values()
        for spec in specs
        if "|" in spec and spec.count("|") + 1 != forms
    }
    assert wrong == {}


@pytest.mark.parametrize("lang", list(CATALOGS))
def test_every_text_is_valid_telegram_html_before_and_after_filling_in(lang: str) -> None:
    invalid = {}
    for key, text in CATALOGS[lang].items():
        if key in PLAIN:
            continue
        for candidate in (text, t(key, lang, **dict.fromkeys(fields(text), 3))):
            try:
                plain, _ = render(candidate, "HTML", None)
            except ApiError as exc:
                invalid[key] = str(exc)
                continue
            if not 1 <= len(plain) <= 4096:
                invalid[key] = f"{len(plain)} characters"
    assert invalid == {}


@pytest.mark.parametrize("lang", list(CATALOGS))
def test_plain_texts_need_no_markup(lang: str) -> None:
    for key in PLAIN:
        assert "<" not in CATALOGS[lang][key] and "&" not in CATALOGS[lang][key]


def test_everything_the_code_names_has_a_text() -> None:
    needed = (
        {f"style.{key}" for key in STYLES}
        | {f"ledger.{value}" for name, value in vars(LedgerKind).items() if name.isupper()}
        | {f"commands.{name}" for name in MENU_COMMANDS + ADMIN_COMMANDS}
        | {
            f"payment.refused.{r}"
            for r in ("invalid", "not_yours", "unknown_pack", "price_changed")
        }
    )
    assert sorted(needed - set(REFERENCE)) == []
    assert set(LANGUAGE_NAMES) == set(CATALOGS) == set(PLURAL_RULES)
    for lang in CATALOGS:
        assert len(t("months", lang).split()) == 12


@pytest.mark.parametrize("lang", list(CATALOGS))
def test_invoices_and_menus_fit_telegram_limits(lang: str) -> None:
    packs = load_settings(telegram_bot_token="1:x", openrouter_api_key="k").credit_packs
    for pack in packs:
        assert 1 <= len(t("invoice.title", lang, credits=pack.credits)) <= 32
        assert 1 <= len(t("invoice.description", lang, credits=pack.credits, avatars=99)) <= 255
    for name in MENU_COMMANDS + ADMIN_COMMANDS:
        assert 1 <= len(t(f"commands.{name}", lang)) <= 256
    for key in REFUSALS:
        assert len(t(key, lang)) <= 255  # answerPreCheckoutQuery's error_message


def test_user_values_are_escaped_and_numbers_agree() -> None:
    assert "&lt;b&gt;Eve&lt;/b&gt;" in t(
        "start.again", "en", name="<b>Eve</b>", credits=1, avatars=0
    )
    assert "You have <b>1 credit</b> (0 avatars left)" in t(
        "start.again", "en", name="x", credits=1, avatars=0
    )
    russian = [t("buy.pack_button", "ru", credits=n, stars=1) for n in (1, 2, 5, 11, 21, 22, 112)]
    assert [text.split(" · ")[0] for text in russian] == [
        "1 кредит",
        "2 кредита",
        "5 кредитов",
        "11 кредитов",
        "21 кредит",
        "22 кредита",
        "112 кредитов",
    ]


def test_unknown_languages_fall_back_to_english() -> None:
    assert t("button.cancel", "pt-br") == "Cancel"
    assert t("button.cancel", "ru-RU") == "Отмена"
    assert t("button.cancel", None) == "Cancel"
