"""/style: pick the look of the next avatars; remembered per user."""

from __future__ import annotations

from telegram import Update
from telegram.constants import ParseMode

from bot.context import BotContext
from bot.handlers.common import button_press, language, profile_of, reply
from bot.keyboards import styles_keyboard
from bot.texts import style_name, t
from core.errors import NotFound


async def style(update: Update, context: BotContext) -> None:
    """The style keyboard, the current one ticked."""
    user = update.effective_user
    if user is None:
        return
    lang = await language(update, context)
    account = await context.avatars.user(user.id)
    if account is None:
        account = (await context.avatars.register(profile_of(user))).user
    await reply(
        update,
        t("style.choose", lang, current=style_name(account.style, lang)),
        reply_markup=styles_keyboard(account.style, lang),
    )


async def on_style_button(update: Update, context: BotContext) -> None:
    """Remember the chosen style and say so in place."""
    press = await button_press(update, context)
    if press is None:
        return
    query, callback, message, lang = press.query, press.callback, press.message, press.lang
    if await context.avatars.user(press.user_id) is None:
        await query.answer(t("callback.stale", lang), show_alert=True)
        return
    try:
        await context.avatars.set_style(query.from_user.id, callback.value)
    except NotFound:
        await query.answer(t("callback.stale", lang), show_alert=True)
        return
    await query.answer()
    await message.edit_text(
        t("style.chosen", lang, style=style_name(callback.value, lang)), parse_mode=ParseMode.HTML
    )
