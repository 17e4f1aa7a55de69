"""/language: English or Russian, remembered per user over their Telegram client's language."""

from __future__ import annotations

from telegram import Update
from telegram.constants import ParseMode

from bot.context import BotContext
from bot.handlers.common import button_press, language, profile_of, reply
from bot.keyboards import language_keyboard
from bot.texts import CATALOGS, LANGUAGE_NAMES, t


async def choose_language(update: Update, context: BotContext) -> None:
    """`/language ru` switches at once; a bare /language shows the choices."""
    user = update.effective_user
    if user is None:
        return
    wanted = (context.args or [""])[0].lower()
    if wanted in CATALOGS:
        await _remember(context, update, wanted)
        await reply(update, t("language.chosen", wanted))
        return
    lang = await language(update, context)
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
    query, callback, message = press.query, press.callback, press.message
    if callback.value not in CATALOGS:
        await query.answer(t("callback.stale", press.lang), show_alert=True)
        return
    await _remember(context, update, callback.value)
    await query.answer()
    await message.edit_text(t("language.chosen", callback.value), parse_mode=ParseMode.HTML)


async def _remember(context: BotContext, update: Update, code: str) -> None:
    user = update.effective_user
    assert user is not None
    if await context.avatars.user(user.id) is None:
        await context.avatars.register(profile_of(user))
    await context.avatars.set_language(user.id, code)
