"""The per-update step (group -1): flood guard, then the account and language, once.

Every update passes here before any handler. A flooding user's messages stop at the guard;
then the sender's account is read in one statement, opened (in a short transaction) when the
update asks for something that needs one (/start with its referral code, a photo, a
payment...), and hung on the context with the language it is answered in. No handler reads or
registers it again; a photo's admission facts are read in the same statement.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from telegram import Message, Update
from telegram.ext import ApplicationHandlerStop

from bot.context import BotContext
from bot.handlers.common import profile_of, reply
from bot.handlers.photos import is_image_document
from bot.handlers.private_only import keep_private
from bot.texts import language_for, t
from core.flood_guard import FloodGuard, Verdict

log = logging.getLogger(__name__)

REFERRAL_PREFIX = "ref_"
# Commands whose answer needs an account (the rest answer unknown users without one).
OPENING_COMMANDS = frozenset({"start", "invite", "style", "language"})
# Telegram waits at most 10 s for a pre-checkout answer: never spend them on the database.
CHECKOUT_LOOKUP_SECONDS = 2.0

Step = Callable[[Update, BotContext], Coroutine[Any, Any, None]]


def command_of(message: Message) -> tuple[str, list[str]] | None:
    """`/start@bot ref_x` → ("start", ["ref_x"]); None when the message is not a command."""
    text = message.text or ""
    if not text.startswith("/"):
        return None
    name, *args = text[1:].split()
    return name.split("@", 1)[0].lower(), args


def opens_account(message: Message | None) -> bool:
    if message is None:
        return False
    if message.photo or message.successful_payment or message.refunded_payment:
        return True
    if message.document is not None:
        return is_image_document(message.document)
    command = command_of(message)
    return command is not None and command[0] in OPENING_COMMANDS


def submitted_photo_of(message: Message | None) -> tuple[int, int] | None:
    """(chat id, message id) of a photo this message submits on its own (an album's photos
    are asked about later), so its admission facts are read with the account."""
    if message is None or message.media_group_id is not None:
        return None
    if message.photo or (message.document is not None and is_image_document(message.document)):
        return message.chat_id, message.message_id
    return None


def referral_code_of(message: Message | None) -> str | None:
    command = command_of(message) if message else None
    if command is None or command[0] != "start" or not command[1]:
        return None
    payload = command[1][0]
    return payload.removeprefix(REFERRAL_PREFIX) if payload.startswith(REFERRAL_PREFIX) else None


def arrival_step(guard: FloodGuard) -> Step:
    async def arrive(update: Update, context: BotContext) -> None:
        await keep_private(update, context)
        user = update.effective_user
        if user is None:
            return
        context.lang = language_for(user.language_code)  # until the account says otherwise
        message = update.message
        if update.callback_query is not None or (
            message is not None and not (message.successful_payment or message.refunded_payment)
        ):
            await _guard_floods(guard, update, context)
        resolving = context.accounts.resolve(
            profile_of(user),
            register=opens_account(message),
            referral_code=referral_code_of(message),
            present=message is not None or update.callback_query is not None,
            photo=submitted_photo_of(message),
        )
        if update.pre_checkout_query is not None:
            try:
                context.account = await asyncio.wait_for(resolving, CHECKOUT_LOOKUP_SECONDS)
            except Exception:  # slow or failing database: the client's language will do
                log.warning("account lookup at checkout failed", exc_info=True)
        else:
            context.account = await resolving
        if context.account is not None:
            context.lang = language_for(context.account.language)

    return arrive


async def _guard_floods(guard: FloodGuard, update: Update, context: BotContext) -> None:
    """Messages and button presses share the user's bucket (§2, §10); payments never wait.

    A flood gets one notice: a message for messages, a callback answer for presses (it
    spends nothing of the send budget). The presses after it are dropped unanswered: the
    client gives up its spinner by itself, and answering each would spend the bot's
    connections on the flooder."""
    assert update.effective_user is not None
    verdict = guard.check(update.effective_user.id)
    if verdict is Verdict.ALLOW:
        return
    if verdict is Verdict.DENY_NOTIFY:
        if update.callback_query is not None:
            await update.callback_query.answer(t("callback.rate_limited", context.lang))
        else:
            await reply(update, t("error.rate_limited", context.lang))
    raise ApplicationHandlerStop
