"""Inline keyboards; every button's data goes through `callbacks.encode` (≤ 64 bytes)."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.callbacks import Action, encode
from bot.texts import style_name, t
from core.styles import STYLES


def _button(text: str, action: Action, value: str = "") -> InlineKeyboardButton:
    return InlineKeyboardButton(text, callback_data=encode(action, value))


def avatar_keyboard(gen_id: str, lang: str | None) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                _button(t("button.again", lang), Action.AGAIN, gen_id),
                _button(t("button.gallery", lang), Action.OPEN_GALLERY),
            ],
            [_button(t("button.full_size", lang), Action.FULL_SIZE, gen_id)],
        ]
    )


def gallery_keyboard(
    gen_id: str, *, has_prev: bool, has_next: bool, lang: str | None
) -> InlineKeyboardMarkup:
    row = []
    if has_prev:
        row.append(_button(t("button.prev", lang), Action.PREV, gen_id))
    row.append(_button(t("button.delete", lang), Action.ASK_DELETE, gen_id))
    if has_next:
        row.append(_button(t("button.next", lang), Action.NEXT, gen_id))
    return InlineKeyboardMarkup([row, [_button(t("button.full_size", lang), Action.FULL_SIZE, gen_id)]])


def confirm_delete_keyboard(gen_id: str, lang: str | None) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                _button(t("button.confirm_delete", lang), Action.CONFIRM_DELETE, gen_id),
                _button(t("button.cancel", lang), Action.CANCEL_DELETE, gen_id),
            ]
        ]
    )


def styles_keyboard(current: str, lang: str | None) -> InlineKeyboardMarkup:
    rows = [
        [_button(("✓ " if key == current else "") + style_name(key, lang), Action.STYLE, key)]
        for key in STYLES
    ]
    return InlineKeyboardMarkup(rows)


def buy_button_keyboard(lang: str | None) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[_button(t("button.buy", lang), Action.BUY)]])
