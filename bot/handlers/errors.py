"""The one error handler: log the cause, tell the user something useful, never a traceback."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.constants import ParseMode
from telegram.error import TelegramError

from bot.context import BotContext
from bot.handlers.common import language
from bot.texts import error_text, language_for
from core.errors import AIVengerError, StorageError

log = logging.getLogger(__name__)


async def _language(update: Update, context: BotContext) -> str:
    """The user's chosen language; their client's when the database is what failed."""
    try:
        return await language(update, context)
    except Exception:
        return language_for(update.effective_user.language_code if update.effective_user else None)


async def on_error(update: object, context: BotContext) -> None:
    """Map core errors to friendly messages; everything else is 'something went wrong'."""
    error = context.error
    user_id = (
        update.effective_user.id if isinstance(update, Update) and update.effective_user else None
    )
    if isinstance(error, AIVengerError):
        log.warning("handler refused: %s", error, extra={"user_id": user_id})
    else:
        log.error("handler failed", exc_info=error, extra={"user_id": user_id})
    if not isinstance(update, Update):
        return
    lang = await _language(update, context)
    code = (
        "storage_retry"
        if isinstance(error, StorageError)
        else (error.code if isinstance(error, AIVengerError) else "internal")
    )
    text = error_text(code, lang)
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(text[:200], show_alert=True)
        elif update.effective_message is not None:
            await update.effective_message.reply_text(text, parse_mode=ParseMode.HTML)
    except TelegramError:
        log.info("could not tell the user about the error", exc_info=True)
