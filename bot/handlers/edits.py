"""A text reply: to one of your avatars, an edit of it; to anything else, a one-line hint."""

from __future__ import annotations

import logging

from telegram import Update

from bot.context import BotContext
from bot.handlers.common import message_of, refuse
from bot.handlers.photos import acknowledge
from bot.texts import t
from core.errors import NotFound, StorageError, SubmissionRefused
from core.services.edits import EditRequest, EmptyInstruction

log = logging.getLogger(__name__)


async def on_reply(update: Update, context: BotContext) -> None:
    """Reply to edit (product.md §12): charged like an avatar, once per reply."""
    message = message_of(update)
    replied = message.reply_to_message
    account = context.account
    if replied is None or account is None:
        await message.reply_text(t("edit.not_an_avatar", context.lang))
        return
    request = EditRequest(
        user_id=account.user_id,
        chat_id=message.chat_id,
        source_message_id=message.message_id,
        replied_message_id=replied.message_id,
        instruction=message.text or "",
    )
    try:
        submitted = await context.edits.submit_edit(request)
    except NotFound:
        await message.reply_text(t("edit.not_an_avatar", context.lang))
        return
    except EmptyInstruction:
        await message.reply_text(t("edit.empty", context.lang))
        return
    except (SubmissionRefused, StorageError) as refusal:
        log.info("edit refused: %s", refusal, extra={"user_id": account.user_id})
        await refuse(message, refusal, context.lang)
        return
    if not submitted.duplicate:
        await acknowledge(context, message, submitted.generation_id)
