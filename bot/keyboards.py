"""Inline keyboards; every button's data goes through `callbacks.encode` (≤ 64 bytes)."""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlencode

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, SwitchInlineQueryChosenChat

from bot.callbacks import Action, encode
from bot.texts import CATALOGS, LANGUAGE_NAMES, style_name, t
from core.services.payments import Pack
from core.services.sharing import share_query
from core.styles import STYLES


def _button(text: str, action: Action, value: str = "") -> InlineKeyboardButton:
    return InlineKeyboardButton(text, callback_data=encode(action, value))


def _share_row(gen_id: str, lang: str | None) -> list[InlineKeyboardButton]:
    """↗️ opens Telegram's chat picker with an inline query naming exactly this avatar."""
    picker = SwitchInlineQueryChosenChat(
        query=share_query(gen_id),
        allow_user_chats=True,
        allow_group_chats=True,
        allow_channel_chats=True,
    )
    return [
        InlineKeyboardButton(t("button.share", lang), switch_inline_query_chosen_chat=picker),
        _button(t("button.sticker", lang), Action.STICKER, gen_id),
    ]


def avatar_keyboard(gen_id: str, lang: str | None) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                _button(t("button.again", lang), Action.AGAIN, gen_id),
                _button(t("button.gallery", lang), Action.OPEN_GALLERY),
            ],
            [_button(t("button.full_size", lang), Action.FULL_SIZE, gen_id)],
            _share_row(gen_id, lang),
        ]
    )


def album_keyboard(album_id: str, count: int, lang: str | None) -> InlineKeyboardMarkup:
    """[One avatar from all N] [N separate avatars]; a single photo left gets the first only."""
    rows = [[_button(t("button.album_one", lang, count=count), Action.ALBUM, "1" + album_id)]]
    if count > 1:
        rows.append(
            [_button(t("button.album_separate", lang, count=count), Action.ALBUM, "n" + album_id)]
        )
    return InlineKeyboardMarkup(rows)


def gallery_keyboard(
    gen_id: str, *, has_prev: bool, has_next: bool, lang: str | None
) -> InlineKeyboardMarkup:
    row = []
    if has_prev:
        row.append(_button(t("button.prev", lang), Action.PREV, gen_id))
    row.append(_button(t("button.delete", lang), Action.ASK_DELETE, gen_id))
    if has_next:
        row.append(_button(t("button.next", lang), Action.NEXT, gen_id))
    return InlineKeyboardMarkup(
        [
            row,
            [_button(t("button.full_size", lang), Action.FULL_SIZE, gen_id)],
            _share_row(gen_id, lang),
        ]
    )


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


def gallery_button_keyboard(lang: str | None) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[_button(t("button.gallery", lang), Action.OPEN_GALLERY)]])


def buy_button_keyboard(lang: str | None) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[_button(t("button.buy", lang), Action.BUY)]])


def packs_keyboard(packs: Sequence[Pack], lang: str | None) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                _button(
                    t("buy.pack_button", lang, credits=pack.credits, stars=pack.stars),
                    Action.PACK,
                    pack.pack_id,
                )
            ]
            for pack in packs
        ]
    )


def language_keyboard(current: str) -> InlineKeyboardMarkup:
    """Each language is named in itself, so anyone can find theirs."""
    return InlineKeyboardMarkup(
        [
            [
                _button(
                    ("✓ " if code == current else "") + LANGUAGE_NAMES[code], Action.LANGUAGE, code
                )
            ]
            for code in CATALOGS
        ]
    )


def broadcast_keyboard(message_id: int, lang: str | None) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                _button(t("broadcast.confirm", lang), Action.BROADCAST_SEND, str(message_id)),
                _button(t("broadcast.drop", lang), Action.BROADCAST_DROP),
            ]
        ]
    )


def share_keyboard(link: str, lang: str | None) -> InlineKeyboardMarkup:
    """Telegram's share dialog with the invite link filled in (a URL button, no callback)."""
    query = urlencode({"url": link, "text": t("invite.share_text", lang)})
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    t("invite.share_button", lang), url=f"https://t.me/share/url?{query}"
                )
            ]
        ]
    )


def refund_keyboard(payment_id: int, lang: str | None) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                _button(t("button.refund_confirm", lang), Action.REFUND_CONFIRM, str(payment_id)),
                _button(t("button.refund_cancel", lang), Action.REFUND_CANCEL, str(payment_id)),
            ]
        ]
    )
