"""/style: pick the look of the next avatars; remembered per user."""

from __future__ import annotations

from telegram import Update

from bot.context import BotContext
from bot.handlers.common import account_of, button_press, reply
from bot.keyboards import styles_keyboard
from bot.texts import style_name, t
from core.errors import NotFound


async def style(update: Update, context: BotContext) -> None:
    """The style keyboard, the current one ticked."""
    current, lang = account_of(context).style, context.lang
    await reply(
        update,
        t("style.choose", lang, current=style_name(current, lang)),
        reply_markup=styles_keyboard(current, lang),
    )


async def on_style_button(update: Update, context: BotContext) -> None:
    """Remember the chosen style and say so in place."""
    press = await button_press(update, context)
    if press is None:
        return
    query, chosen, lang = press.query, press.callback.value, press.lang
    if context.account is None:
        await query.answer(t("callback.stale", lang), show_alert=True)
        return
    try:
        await context.accounts.set_style(press.user_id, chosen)
    except NotFound:
        await query.answer(t("callback.stale", lang), show_alert=True)
        return
    await query.answer()
    await press.message.edit_text(t("style.chosen", lang, style=style_name(chosen, lang)))
