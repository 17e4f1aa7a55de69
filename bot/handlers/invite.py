"""/invite: the user's referral link and what inviting has earned them so far."""

from __future__ import annotations

from telegram import Update

from bot.context import BotContext
from bot.handlers.arrival import REFERRAL_PREFIX
from bot.handlers.common import account_of, reply
from bot.keyboards import share_keyboard
from bot.texts import t


def invite_link(bot_username: str, referral_code: str) -> str:
    return f"https://t.me/{bot_username}?start={REFERRAL_PREFIX}{referral_code}"


async def invite(update: Update, context: BotContext) -> None:
    """The link to share, the bonus it pays, and the friends it brought."""
    summary = await context.referrals.summary(account_of(context).user_id)
    link = invite_link(context.bot.username, summary.referral_code)
    text = t(
        "invite.text",
        context.lang,
        bonus=summary.bonus,
        link=link,
        invited=summary.invited,
        earned=summary.earned,
    )
    await reply(update, text, reply_markup=share_keyboard(link, context.lang))
