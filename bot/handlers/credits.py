"""/credits: balance, cost, avatars made and the recent ledger lines."""

from __future__ import annotations

from telegram import Update

from bot.context import BotContext
from bot.formatting import format_date, ledger_line
from bot.handlers.common import reply
from bot.keyboards import buy_button_keyboard
from bot.texts import Html, t


async def credits(update: Update, context: BotContext) -> None:
    """Balance and history, with a way to buy more."""
    lang = context.lang
    if context.account is None:
        await reply(update, t("error.unknown_user", lang))
        return
    stats = await context.accounts.statement(context.account.user_id)
    last = format_date(stats.last_created, lang) if stats.last_created else t("credits.never", lang)
    text = t(
        "credits.summary",
        lang,
        credits=stats.balance,
        cost=stats.cost,
        avatars=stats.avatars,
        last=last,
    )
    if stats.recent:
        text += t(
            "credits.history",
            lang,
            lines=Html("\n".join(ledger_line(line, lang) for line in stats.recent)),
        )
    await reply(update, text, reply_markup=buy_button_keyboard(lang))
