"""/credits: balance, cost, avatars made and the recent ledger lines."""

from __future__ import annotations

from datetime import datetime

from telegram import Update

from bot.context import BotContext
from bot.handlers.common import language, reply
from bot.keyboards import buy_button_keyboard
from bot.texts import Html, t
from core.ledger import LedgerLine


def format_date(moment: datetime, lang: str) -> str:
    months = t("months", lang).split()
    return t("date.format", lang, day=moment.day, month=months[moment.month - 1], year=moment.year)


def ledger_line(line: LedgerLine, lang: str) -> str:
    signed = f"+{line.delta}" if line.delta >= 0 else f"−{-line.delta}"
    return t(f"ledger.{line.kind}", lang, amount=abs(line.delta), signed=signed)


async def credits(update: Update, context: BotContext) -> None:
    """Balance and history, with a way to buy more."""
    user = update.effective_user
    if user is None:
        return
    lang = await language(update, context)
    if await context.avatars.user(user.id) is None:
        await reply(update, t("error.unknown_user", lang))
        return
    stats = await context.avatars.stats(user.id)
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
