"""Everything that is not a usable image or a known command gets one clear line."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ApplicationHandlerStop

from bot.context import BotContext
from bot.handlers.common import language, reply
from bot.texts import error_text
from core.ratelimit import RateLimiter, Verdict


async def unsupported(update: Update, context: BotContext) -> None:
    """Stickers, videos, voice, text...: say what to send instead."""
    await reply(update, error_text("unsupported_message", await language(update, context)))


async def unknown_command(update: Update, context: BotContext) -> None:
    """A command we do not have (admin commands included, for non-admins)."""
    await reply(update, error_text("unknown_command", await language(update, context)))


def rate_limit_guard(limiter: RateLimiter):  # type: ignore[no-untyped-def]
    """A pre-handler (group -1) that stops a flooding user's messages before any work."""

    async def guard(update: Update, context: BotContext) -> None:
        user = update.effective_user
        if user is None or update.pre_checkout_query is not None:
            return  # never throttle payments: Telegram needs an answer
        if update.message is not None and update.message.successful_payment is not None:
            return
        verdict = limiter.check(user.id)
        if verdict is Verdict.ALLOW:
            return
        if verdict is Verdict.DENY_NOTIFY:
            if update.callback_query is not None:
                await update.callback_query.answer(
                    error_text("rate_limited", await language(update, context)), show_alert=True
                )
            elif update.effective_message is not None:
                await reply(update, error_text("rate_limited", await language(update, context)))
        elif update.callback_query is not None:
            await update.callback_query.answer()
        raise ApplicationHandlerStop

    return guard
