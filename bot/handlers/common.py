"""What every handler needs: who is asking, a reply, a parsed button press, a refusal."""

from __future__ import annotations

from dataclasses import dataclass

from telegram import CallbackQuery, Message, Update
from telegram import User as TelegramUser
from telegram.ext import ApplicationHandlerStop

from bot.callbacks import Callback, parse
from bot.context import BotContext
from bot.refusals import refusal_markup, refusal_text
from bot.texts import t
from core.errors import AIVengerError
from core.services.accounts import Account
from core.users import Profile


def profile_of(user: TelegramUser) -> Profile:
    return Profile(
        user_id=user.id,
        first_name=user.first_name,
        username=user.username,
        last_name=user.last_name,
        language_code=user.language_code,
    )


def message_of(update: Update) -> Message:
    message = update.effective_message
    if message is None:
        raise ApplicationHandlerStop  # nothing to answer: not a message update
    return message


def account_of(context: BotContext) -> Account:
    """The account the per-update step opened; only for updates that open one."""
    if context.account is None:
        raise RuntimeError("this update should have opened an account (see bot.handlers.arrival)")
    return context.account


@dataclass(frozen=True, slots=True)
class ButtonPress:
    """A pressed inline button whose data parsed and whose message is still reachable."""

    query: CallbackQuery
    callback: Callback
    message: Message
    lang: str

    @property
    def user_id(self) -> int:
        return self.query.from_user.id


async def button_press(update: Update, context: BotContext) -> ButtonPress | None:
    """Parse a button press, or answer it as stale (malformed data, message too old)."""
    query = update.callback_query
    if query is None:
        return None
    callback = parse(query.data)
    message = query.message if isinstance(query.message, Message) else None
    if callback is None or message is None:
        await query.answer(t("callback.stale", context.lang), show_alert=True)
        return None
    return ButtonPress(query, callback, message, context.lang)


async def reply(update: Update, text: str, **kwargs: object) -> Message:
    return await message_of(update).reply_text(text, **kwargs)  # type: ignore[arg-type]


async def refuse(message: Message, error: AIVengerError, lang: str) -> Message:
    """Answer a refusal under the message that caused it (the one rendering, see refusals)."""
    return await message.reply_text(
        refusal_text(error, lang), reply_markup=refusal_markup(error, lang)
    )
