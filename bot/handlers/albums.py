"""Albums: each photo stored as it arrives; one question once they stop; the choice, fenced.

The question itself is asked by `bot.album_questions` (any process, once per album), since
no single update knows when an album is complete.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable

from telegram import Document, Message, PhotoSize, Update
from telegram.error import BadRequest

from bot.context import BotContext
from bot.handlers.common import account_of, button_press, refuse
from bot.refusals import refusal_text
from bot.texts import t
from core.errors import ImageTooLarge, NotFound, SubmissionRefused
from core.intake import MAX_INPUT_BYTES
from core.services.albums import AlbumPhoto

log = logging.getLogger(__name__)

ONE, SEPARATE = "1", "n"
_CHOICE = re.compile(r"^([1n])([0-9a-f]{32})$")


async def store_part(
    context: BotContext,
    message: Message,
    file: PhotoSize | Document,
    download: Callable[[PhotoSize | Document], Awaitable[bytes]],
) -> None:
    """One photo of an album: checked like any photo, stored, nothing charged."""
    account = account_of(context)
    group = message.media_group_id
    assert group is not None
    if file.file_size and file.file_size > MAX_INPUT_BYTES:
        raise ImageTooLarge("over 20 MB")
    albums = context.albums
    if not await albums.wants_part(
        balance=account.balance,
        chat_id=message.chat_id,
        media_group_id=group,
        message_id=message.message_id,
    ):
        log.info("album part redelivered or late; ignoring", extra={"user_id": account.user_id})
        return
    await albums.add_photo(
        AlbumPhoto(
            user_id=account.user_id,
            chat_id=message.chat_id,
            media_group_id=group,
            message_id=message.message_id,
            file_id=file.file_id,
            image=await download(file),
            caption=message.caption,
        )
    )


async def on_album_choice(update: Update, context: BotContext) -> None:
    """[One avatar from all N] / [N separate avatars]: pressed twice, queued once."""
    press = await button_press(update, context)
    if press is None:
        return
    query, message, lang = press.query, press.message, press.lang
    match = _CHOICE.match(press.callback.value)
    if match is None:
        await query.answer(t("callback.stale", lang), show_alert=True)
        return
    try:
        choice = await context.albums.choose(
            user_id=press.user_id, album_id=match.group(2), together=match.group(1) == ONE
        )
    except NotFound:
        await query.answer(t("callback.stale", lang), show_alert=True)
        return
    except SubmissionRefused as refusal:
        await query.answer()
        await refuse(message, refusal, lang)
        return
    await query.answer()
    if choice.duplicate:
        return
    queued = len(choice.generation_ids)
    text = (
        t("album.chosen_one", lang, count=choice.photos, credits=choice.balance)
        if match.group(1) == ONE
        else t("album.chosen_separate", lang, queued=queued, credits=choice.balance)
    )
    if choice.refusal is not None:
        text += "\n" + refusal_text(choice.refusal, lang)
    try:
        await message.edit_text(text, reply_markup=None)
    except BadRequest as exc:
        log.info("could not edit the album question: %s", exc)
