"""The one error handler: log the cause, tell the user something useful, never a traceback."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import TelegramError

from bot.context import BotContext
from bot.refusals import refusal_markup, refusal_text
from bot.texts import language_for
from core.errors import AIVengerError

log = logging.getLogger(__name__)


async def _language(update: Update, context: BotContext) -> str:
    """The user's chosen language; their client's when the database is what failed.

    The error handler gets a fresh context, so the per-update step's language is not on it.
    """
    user = update.effective_user
    if user is None:
        return language_for(None)
    try:
        chosen = await context.accounts.language_of(user.id)
    except Exception:
        chosen = None
    return language_for(chosen or user.language_code)


async def on_error(update: object, context: BotContext) -> None:
    """Render any error through `bot.refusals`; everything unknown is 'something went wrong'."""
    error = context.error
    user_id = (
        update.effective_user.id if isinstance(update, Update) and update.effective_user else None
    )
    if isinstance(error, AIVengerError):
        log.warning("handler refused: %s", error, extra={"user_id": user_id})
    else:
        log.error("handler failed", exc_info=error, extra={"user_id": user_id})
    if not isinstance(update, Update) or error is None:
        return
    lang = await _language(update, context)
    text, markup = refusal_text(error, lang), refusal_markup(error, lang)
    try:
        query, message = update.callback_query, update.effective_message
        if query is not None and markup is None:
            await query.answer(text[:200], show_alert=True)
        elif message is not None:
            if query is not None:
                await query.answer()
            await message.reply_text(text, reply_markup=markup)
    except TelegramError:
        log.info("could not tell the user about the error", exc_info=True)
