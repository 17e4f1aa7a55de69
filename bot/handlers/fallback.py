"""Everything that is not a usable image or a known command gets one clear line."""

from __future__ import annotations

from telegram import Update

from bot.context import BotContext
from bot.handlers.common import reply
from bot.texts import t


async def unsupported(update: Update, context: BotContext) -> None:
    """Stickers, videos, voice, text...: say what to send instead."""
    await reply(update, t("error.unsupported_message", context.lang))


async def unknown_command(update: Update, context: BotContext) -> None:
    """A command we do not have (admin commands included, for non-admins)."""
    await reply(update, t("error.unknown_command", context.lang))


async def stale_button(update: Update, context: BotContext) -> None:
    """Any callback we do not recognise is still answered, so the client stops spinning."""
    if update.callback_query is not None:
        await update.callback_query.answer(t("callback.stale", context.lang), show_alert=True)
