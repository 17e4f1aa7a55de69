"""/start (with deep-link payloads, read by the per-update step) and /help."""

from __future__ import annotations

from telegram import Update

from bot.context import BotContext
from bot.handlers.common import account_of, reply
from bot.texts import t


async def start(update: Update, context: BotContext) -> None:
    """Welcome on first contact (30 credits, once ever) or welcome back with the balance."""
    account, lang = account_of(context), context.lang
    if account.created:
        cost = context.accounts.pricing.generation_cost
        text = t("start.welcome", lang, name=account.first_name, credits=account.balance, cost=cost)
    else:
        text = t(
            "start.again",
            lang,
            name=account.first_name,
            credits=account.balance,
            avatars=account.affordable,
        )
    await reply(update, text)


async def help_command(update: Update, context: BotContext) -> None:
    """Commands and limits."""
    pricing = context.accounts.pricing
    text = t(
        "help",
        context.lang,
        cost=pricing.generation_cost,
        max_active=pricing.max_active_per_user,
    )
    await reply(update, text)
