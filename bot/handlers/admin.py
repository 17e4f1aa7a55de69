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
from telegram.constants import ParseMode
from telegram.error import BadRequest, TelegramError

from bot.context import BotContext
from bot.handlers.buy import payments_of
from bot.handlers.common import language, message_of, reply
from bot.handlers.credits import format_date, ledger_line
from bot.handlers.fallback import unknown_command
from bot.texts import Html, language_for, style_name, t
from core.admin import AdminService
from core.clock import utcnow
from core.errors import UnknownUser
from core.users import language_of

log = logging.getLogger(__name__)

MAX_GRANT = 1_000_000
_ALREADY_REFUNDED = "CHARGE_ALREADY_REFUNDED"

Handler = Callable[[Update, BotContext], Coroutine[Any, Any, None]]


def admin_only(handler: Handler) -> Handler:
    """Run the handler for admins; answer everyone else as for an unknown command."""

    @wraps(handler)
    async def guarded(update: Update, context: BotContext) -> None:
        user = update.effective_user
        if user is None or user.id not in context.services.settings.admin_user_ids:
            await unknown_command(update, context)
            return
        await handler(update, context)

    return guarded


def admin_of(context: BotContext) -> AdminService:
    return AdminService(sessions=context.services.sessions, events=context.services.events)


def _int_arg(args: list[str], index: int) -> int | None:
    text = args[index] if len(args) > index else ""
    return int(text) if text.isdigit() else None


@admin_only
async def grant(update: Update, context: BotContext) -> None:
    """/grant <user id> <credits> [reason]: once per command message, even if redelivered."""
    message = message_of(update)
    lang = await language(update, context)
    args = context.args or []
    user_id, amount = _int_arg(args, 0), _int_arg(args, 1)
    if user_id is None or amount is None or not 0 < amount <= MAX_GRANT:
        await reply(update, t("admin.grant_usage", lang))
        return
    reason = " ".join(args[2:]) or None
    try:
        result = await admin_of(context).grant(
            user_id=user_id,
            amount=amount,
            reason=reason,
            key=f"admin:{message.chat_id}:{message.message_id}",
        )
    except UnknownUser:
        await reply(update, t("admin.no_user", lang, user_id=user_id))
        return
    if not result.granted:
        await reply(update, t("admin.grant_repeated", lang, credits=result.balance))
        return
    log.info("admin granted %d credits to %d", amount, user_id, extra={"user_id": user_id})
    account = await context.avatars.user(user_id)
    name = account.first_name if account else str(user_id)
    await reply(
        update,
        t("admin.granted", lang, amount=amount, name=name, user_id=user_id, credits=result.balance),
    )
    await _tell_user(context, user_id, "admin.user_granted", amount=amount, credits=result.balance)


@admin_only
async def refund(update: Update, context: BotContext) -> None:
    """/refund <charge id>: Stars back to the payer, the pack's credits out (never below 0)."""
    lang = await language(update, context)
    args = context.args or []
    if len(args) != 1:
        await reply(update, t("admin.refund_usage", lang))
        return
    charge_id = args[0][:255]
    payments = payments_of(context)
    payment = await payments.payment(charge_id)
    if payment is None:
        await reply(update, t("admin.no_payment", lang, charge_id=charge_id))
        return
    if payment.refunded_at is not None:
        await reply(update, t("admin.refund_repeated", lang, charge_id=charge_id))
        return
    try:
        await context.bot.refund_star_payment(payment.user_id, charge_id)
    except BadRequest as exc:
        if _ALREADY_REFUNDED not in exc.message.upper():
            await reply(update, t("admin.refund_failed", lang, error=exc.message))
            return
        log.info("Telegram had refunded %s already; taking the credits back", charge_id)
    except TelegramError as exc:
        await reply(update, t("admin.refund_failed", lang, error=exc.message))
        return
    done = await payments.record_refund(charge_id)
    if done is None:  # a concurrent /refund of the same charge got there first
        await reply(update, t("admin.refund_repeated", lang, charge_id=charge_id))
        return
    log.info("payment refunded; %d credits taken back", done.taken, extra={"user_id": done.user_id})
    await reply(update, t("admin.refund_done", lang, charge_id=charge_id, **asdict(done)))
    notice = {"stars": done.stars, "taken": done.taken, "credits": done.balance}
    await _tell_user(context, done.user_id, "payment.refunded", **notice)


@admin_only
async def stats(update: Update, context: BotContext) -> None:
    """Users, avatars, failures by code, refunds, Stars and model spend."""
    lang = await language(update, context)
    today = utcnow().replace(hour=0, minute=0, second=0, microsecond=0)
    numbers = await admin_of(context).stats(since=today)
    failures = ", ".join(f"{code}: {count}" for code, count in numbers.failures.items())
    models = ", ".join(f"{model} × {count}" for model, count in numbers.models.items())
    figures = {
        **asdict(numbers),
        "failures": failures or t("admin.none", lang),
        "models": models or t("admin.none", lang),
    }
    await reply(update, t("admin.stats", lang, **figures))


@admin_only
async def user_info(update: Update, context: BotContext) -> None:
    """/user <id>: balance, recent ledger and recent generations."""
    lang = await language(update, context)
    user_id = _int_arg(context.args or [], 0)
    if user_id is None:
        await reply(update, t("admin.user_usage", lang))
        return
    report = await admin_of(context).user_report(user_id)
    if report is None:
        await reply(update, t("admin.no_user", lang, user_id=user_id))
        return
    account = report.user
    none = t("admin.none", lang)
    ledger = "\n".join(ledger_line(line, lang) for line in report.ledger) or none
    generations = (
        "\n".join(
            t(
                "admin.generation_line",
                lang,
                gen_id=item.id[:8],
                status=item.status,
                style=style_name(item.style, lang),
                date=format_date(item.created_at, lang),
                error=f" · {item.error_code}" if item.error_code else "",
            )
            for item in report.generations
        )
        or none
    )
    await reply(
        update,
        t(
            "admin.user",
            lang,
            name=account.first_name,
            user_id=account.id,
            username=f"@{account.username} " if account.username else "",
            joined=format_date(account.created_at, lang),
            language=language_of(account) or none,
            style=style_name(account.style, lang),
            credits=report.balance,
            ledger=Html(ledger),
            generations=Html(generations),
        ),
    )


async def _tell_user(context: BotContext, user_id: int, key: str, **params: object) -> None:
    """Best effort: the change stands even if the user blocked the bot."""
    account = await context.avatars.user(user_id)
    lang = language_for(language_of(account) if account else None)
    try:
        await context.bot.send_message(user_id, t(key, lang, **params), parse_mode=ParseMode.HTML)
    except TelegramError:
        log.info("could not tell the user", exc_info=True, extra={"user_id": user_id})
