"""Everything that is not a usable image or a known command gets one clear line."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

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


def rate_limit_guard(
    limiter: RateLimiter,
) -> Callable[[Update, BotContext], Coroutine[Any, Any, None]]:
    """A pre-handler (group -1): a flooding user's messages stop here, with one notice."""

    async def guard(update: Update, context: BotContext) -> None:
        user, message = update.effective_user, update.message
        if user is None or message is None or message.successful_payment is not None:
            return  # messages only (§2); payments and button presses are never throttled here
        verdict = limiter.check(user.id)
        if verdict is Verdict.ALLOW:
            return
        if verdict is Verdict.DENY_NOTIFY:
            await reply(update, error_text("rate_limited", await language(update, context)))
        raise ApplicationHandlerStop

    return guard
