"""/grant, /refund, /stats and /user for the users in ADMIN_USER_IDS.

To anyone else these commands do not exist: they get exactly the reply any unknown command
gets, so their presence is not revealed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from dataclasses import asdict
from functools import wraps
from typing import Any

from telegram import Update
from telegram.error import TelegramError

from bot.admin_args import grant_args, no_args, user_args
from bot.context import BotContext
from bot.formatting import format_date, ledger_line
from bot.handlers.common import message_of, reply
from bot.handlers.fallback import unknown_command
from bot.texts import Html, language_for, style_name, t
from core.clock import utcnow
from core.errors import UnknownUser
from core.services.admin import UserReport

log = logging.getLogger(__name__)


Handler = Callable[[Update, BotContext], Coroutine[Any, Any, None]]


def admin_only(handler: Handler) -> Handler:
    """Run the handler for admins; answer everyone else as for an unknown command."""

    @wraps(handler)
    async def guarded(update: Update, context: BotContext) -> None:
        user = update.effective_user
        if user is None or not context.admin.is_admin(user.id):
            await unknown_command(update, context)
            return
        await handler(update, context)

    return guarded


@admin_only
async def grant(update: Update, context: BotContext) -> None:
    """/grant <user id> <credits> [reason]: once per command message, even if redelivered."""
    message, lang = message_of(update), context.lang
    parsed = grant_args(context.args or [])
    if parsed is None:
        await reply(update, t("admin.grant_usage", lang))
        return
    user_id, amount = parsed.user_id, parsed.amount
    try:
        result = await context.admin.grant(
            user_id=user_id,
            amount=amount,
            reason=parsed.reason,
            command=(message.chat_id, message.message_id),
        )
    except UnknownUser:
        await reply(update, t("admin.no_user", lang, user_id=user_id))
        return
    if not result.granted:
        await reply(update, t("admin.grant_repeated", lang, credits=result.balance))
        return
    log.info("admin granted %d credits to %d", amount, user_id, extra={"user_id": user_id})
    granted = {"amount": amount, "credits": result.balance}
    await reply(update, t("admin.granted", lang, name=result.name, user_id=user_id, **granted))
    await tell_user(context, user_id, result.language, "admin.user_granted", **granted)


@admin_only
async def stats(update: Update, context: BotContext) -> None:
    """Users, avatars, failures by code, refunds, Stars and model spend."""
    lang = context.lang
    if not no_args(context.args or []):
        await reply(update, t("admin.stats_usage", lang))
        return
    today = utcnow().replace(hour=0, minute=0, second=0, microsecond=0)
    numbers = await context.admin.stats(since=today)
    failures = ", ".join(f"{code}: {count}" for code, count in numbers.failures.items())
    models = ", ".join(f"{model} × {count}" for model, count in numbers.models.items())
    figures = {
        **asdict(numbers),
        "failures": failures or t("admin.none", lang),
        "models": models or t("admin.none", lang),
    }
    shares = t("admin.stats_shares", lang, shares=await context.sharing.shares_since(today))
    await reply(update, t("admin.stats", lang, **figures) + "\n" + shares)


@admin_only
async def user_info(update: Update, context: BotContext) -> None:
    """/user <id>: balance, recent ledger and recent generations."""
    lang = context.lang
    user_id = user_args(context.args or [])
    if user_id is None:
        await reply(update, t("admin.user_usage", lang))
        return
    report = await context.admin.user_report(user_id)
    if report is None:
        await reply(update, t("admin.no_user", lang, user_id=user_id))
        return
    await reply(update, _user_text(report, lang))


def _user_text(report: UserReport, lang: str) -> str:
    none = t("admin.none", lang)
    ledger = "\n".join(ledger_line(line, lang) for line in report.ledger) or none
    generations = "\n".join(
        t(
            "admin.generation_line",
            lang,
            gen_id=item.generation_id[:8],
            status=item.status,
            style=style_name(item.style, lang),
            date=format_date(item.created_at, lang),
            error=f" · {item.error_code}" if item.error_code else "",
        )
        for item in report.generations
    )
    return t(
        "admin.user",
        lang,
        name=report.first_name,
        user_id=report.user_id,
        username=f"@{report.username} " if report.username else "",
        joined=format_date(report.joined, lang),
        language=report.language or none,
        style=style_name(report.style, lang),
        credits=report.balance,
        ledger=Html(ledger),
        generations=Html(generations or none),
    )


async def tell_user(
    context: BotContext, user_id: int, language: str | None, key: str, **params: object
) -> None:
    """Best effort: the change stands even if the user blocked the bot."""
    try:
        await context.bot.send_message(user_id, t(key, language_for(language), **params))
    except TelegramError:
        log.info("could not tell the user", exc_info=True, extra={"user_id": user_id})
