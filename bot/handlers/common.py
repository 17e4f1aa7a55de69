"""What every handler needs: who is asking, in which language, and a reply in HTML."""

from __future__ import annotations

from dataclasses import dataclass

from telegram import CallbackQuery, Message, Update
from telegram import User as TelegramUser
from telegram.constants import ParseMode
from telegram.ext import ApplicationHandlerStop

from bot.callbacks import Callback, parse
from bot.context import BotContext
from bot.texts import language_for, t
from core.users import Profile, language_of


def profile_of(user: TelegramUser) -> Profile:
    return Profile(
        user_id=user.id,
        first_name=user.first_name,
        username=user.username,
        last_name=user.last_name,
        language_code=user.language_code,
    )


async def language(update: Update, context: BotContext) -> str:
    """The user's chosen language, else their Telegram client's, else English."""
    user = update.effective_user
    if user is None:
        return language_for(None)
    account = await context.avatars.user(user.id)
    return language_for(language_of(account) if account else user.language_code)


def message_of(update: Update) -> Message:
    message = update.effective_message
    if message is None:
        raise ApplicationHandlerStop  # nothing to answer: not a message update
    return message


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
    lang = await language(update, context)
    callback = parse(query.data)
    message = query.message if isinstance(query.message, Message) else None
    if callback is None or message is None:
        await query.answer(t("callback.stale", lang), show_alert=True)
        return None
    return ButtonPress(query, callback, message, lang)


async def reply(update: Update, text: str, **kwargs: object) -> Message:
    return await message_of(update).reply_text(text, parse_mode=ParseMode.HTML, **kwargs)  # type: ignore[arg-type]
