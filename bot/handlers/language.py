"""/language: English or Russian, remembered per user over their Telegram client's language."""

from __future__ import annotations

from telegram import Update

from bot.context import BotContext
from bot.handlers.common import account_of, button_press, reply
from bot.keyboards import language_keyboard
from bot.texts import CATALOGS, LANGUAGE_NAMES, t


async def choose_language(update: Update, context: BotContext) -> None:
    """`/language ru` switches at once; a bare /language shows the choices."""
    account, lang = account_of(context), context.lang
    wanted = (context.args or [""])[0].lower()
    if wanted in CATALOGS:
        await context.accounts.set_language(account.user_id, wanted)
        await reply(update, t("language.chosen", wanted))
        return
    await reply(
        update,
        t("language.choose", lang, current=LANGUAGE_NAMES[lang]),
        reply_markup=language_keyboard(lang),
    )


async def on_language_button(update: Update, context: BotContext) -> None:
    """Remember the choice and confirm in place, in the new language."""
    press = await button_press(update, context)
    if press is None:
        return
    query, chosen = press.query, press.callback.value
    if chosen not in CATALOGS or context.account is None:
        await query.answer(t("callback.stale", press.lang), show_alert=True)
        return
    await context.accounts.set_language(press.user_id, chosen)
    await query.answer()
    await press.message.edit_text(t("language.chosen", chosen))
