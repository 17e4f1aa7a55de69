"""/invite: the user's referral link and what inviting has earned them so far."""

from __future__ import annotations

from telegram import Update

from bot.context import BotContext
from bot.handlers.common import language, profile_of, reply
from bot.handlers.start import REFERRAL_PREFIX
from bot.keyboards import share_keyboard
from bot.texts import t
from core.referrals import invite_summary


def invite_link(bot_username: str, referral_code: str) -> str:
    return f"https://t.me/{bot_username}?start={REFERRAL_PREFIX}{referral_code}"


async def invite(update: Update, context: BotContext) -> None:
    """The link to share, the bonus it pays, and the friends it brought."""
    user = update.effective_user
    if user is None:
        return
    if await context.avatars.user(user.id) is None:
        await context.avatars.register(profile_of(user))  # a link needs an account behind it
    lang = await language(update, context)
    summary = await invite_summary(context.services.sessions, user_id=user.id)
    link = invite_link(context.bot.username, summary.referral_code)
    text = t(
        "invite.text",
        lang,
        bonus=context.services.settings.referral_bonus,
        link=link,
        invited=summary.invited,
        earned=summary.earned,
    )
    await reply(update, text, reply_markup=share_keyboard(link, lang))
