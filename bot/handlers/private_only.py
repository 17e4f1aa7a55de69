"""Private chats only (docs/product.md): the first thing the per-update step checks.

Accounts, credits and galleries belong to a person, and in a group the sender id says little:
every anonymous admin is GroupAnonymousBot (1087968824), every post on behalf of a channel is
Channel_Bot. So an update tied to a group, supergroup or channel, or any message sent on
behalf of a chat (`sender_chat`), stops here before an account is read or a handler runs:
a button press is answered with a hint and nothing else; a new message in a group gets one
short answer per chat, ever, with a button to the private chat (the claim is a database row,
see core/chat_notices.py); channels, edits and everything else get silence. Inline queries
are not tied to a chat and pass.
"""

from __future__ import annotations

import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop

from bot.context import BotContext
from bot.texts import language_for, t

log = logging.getLogger(__name__)

START_PAYLOAD = "from_group"
GROUPS = frozenset({ChatType.GROUP, ChatType.SUPERGROUP})


def outside_private_chat(update: Update) -> bool:
    """Tied to a group, supergroup or channel, or sent on behalf of a chat."""
    message = update.effective_message
    if message is not None and message.sender_chat is not None:
        return True
    chat = update.effective_chat
    return chat is not None and chat.type != ChatType.PRIVATE


async def keep_private(update: Update, context: BotContext) -> None:
    """Stop any update outside a private chat, answering as the module docstring says."""
    if not outside_private_chat(update):
        return
    user = update.effective_user
    lang = language_for(user.language_code if user else None)
    query, message = update.callback_query, update.message
    if query is not None:
        await query.answer(t("private.press", lang), show_alert=True)
    elif message is not None and message.chat.type in GROUPS:
        await _answer_once(context, message.chat_id, message.message_id, lang)
    raise ApplicationHandlerStop


async def _answer_once(context: BotContext, chat_id: int, message_id: int, lang: str) -> None:
    if not await context.group_chats.first_answer(chat_id):
        return
    link = f"https://t.me/{context.bot.username}?start={START_PAYLOAD}"
    button = InlineKeyboardButton(t("private.open", lang), url=link)
    try:
        await context.bot.send_message(
            chat_id,
            t("private.only", lang),
            reply_markup=InlineKeyboardMarkup([[button]]),
            reply_to_message_id=message_id,
        )
    except TelegramError as exc:  # removed from the group, no right to post: stay silent
        log.info("could not answer group %d: %s", chat_id, exc)
