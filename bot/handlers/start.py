"""/start (with deep-link payloads) and /help."""

from __future__ import annotations

from telegram import Update

from bot.context import BotContext
from bot.handlers.common import language, profile_of, reply
from bot.texts import language_for, t
from core.users import language_of

REFERRAL_PREFIX = "ref_"


async def start(update: Update, context: BotContext) -> None:
    """Register on first contact (30 credits, once ever) or welcome back with the balance."""
    user = update.effective_user
    if user is None:
        return
    payload = context.args[0] if context.args else ""
    referral = (
        payload.removeprefix(REFERRAL_PREFIX) if payload.startswith(REFERRAL_PREFIX) else None
    )
    registration = await context.avatars.register(profile_of(user), referral_code=referral)
    account = registration.user
    lang = language_for(language_of(account))
    cost = context.avatars.policy.generation_cost
    if registration.created:
        text = t("start.welcome", lang, name=user.first_name, credits=account.credits, cost=cost)
    else:
        text = t(
            "start.again",
            lang,
            name=user.first_name,
            credits=account.credits,
            avatars=account.credits // cost,
        )
    await reply(update, text)


async def help_command(update: Update, context: BotContext) -> None:
    """Commands and limits."""
    policy = context.avatars.policy
    lang = await language(update, context)
    await reply(
        update, t("help", lang, cost=policy.generation_cost, max_active=policy.max_active_per_user)
    )
