"""Photo and image-file intake: check once, download, submit, and only then say we're on it.

Workers do the generation and send the avatar; this handler returns as soon as the job is
queued, so a slow model never holds up anyone's updates. The "⏳ Creating…" message is sent
only once the charge and the job are committed: it is a promise the bot can keep.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
from typing import TYPE_CHECKING

from telegram import Document, Message, PhotoSize, Update
from telegram.constants import ChatAction
from telegram.error import BadRequest, TelegramError

from bot.context import BotContext
from bot.handlers import albums
from bot.handlers.common import account_of, button_press, message_of, refuse
from bot.ratelimit import PriorityRateLimiter
from bot.texts import t
from core.errors import (
    ImageTooLarge,
    NotAnImage,
    NotFound,
    PhotoUnavailable,
    StorageError,
    SubmissionRefused,
)
from core.intake import MAX_INPUT_BYTES
from core.services.submissions import PhotoSubmission, Submitted

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer

log = logging.getLogger(__name__)

DOWNLOAD_ATTEMPTS = 2
DOWNLOAD_RETRY_PAUSE_SECONDS = 0.5
IMAGE_MIME_TYPES = frozenset({"image/jpeg", "image/png", "image/webp", "image/heic", "image/heif"})
IMAGE_EXTENSIONS = frozenset({"jpg", "jpeg", "png", "webp", "heic", "heif"})


def is_image_document(document: Document) -> bool:
    if document.mime_type:
        return document.mime_type.lower() in IMAGE_MIME_TYPES
    extension = (document.file_name or "").rsplit(".", 1)[-1].lower()
    return extension in IMAGE_EXTENSIONS


async def on_photo(update: Update, context: BotContext) -> None:
    """A photo: take its largest size."""
    message = message_of(update)
    await _intake(context, message, message.photo[-1])


async def on_document(update: Update, context: BotContext) -> None:
    """An image sent as a file (uncompressed); anything else gets a hint."""
    message = message_of(update)
    document = message.document
    if document is None:
        return
    if not is_image_document(document):
        await refuse(message, NotAnImage("document is not an image"), context.lang)
        return
    await _intake(context, message, document)


async def _intake(context: BotContext, message: Message, file: PhotoSize | Document) -> None:
    if message.media_group_id is not None:  # one photo of an album: stored, asked about later
        try:
            await albums.store_part(context, message, file, download)
        except (SubmissionRefused, StorageError) as refusal:
            log.info("album photo refused: %s", refusal, extra={"user_id": message.chat_id})
            await refuse(message, refusal, context.lang)
        return
    try:
        submitted = await _submit(context, message, file)
    except (SubmissionRefused, StorageError) as refusal:
        log.info("photo refused: %s", refusal, extra={"user_id": message.chat_id})
        await refuse(message, refusal, context.lang)
        return
    if submitted is not None and not submitted.duplicate:
        await acknowledge(context, message, submitted.generation_id)


async def _submit(
    context: BotContext, message: Message, file: PhotoSize | Document
) -> Submitted | None:
    """The job for this photo; None when this message was submitted before (redelivered)."""
    account = account_of(context)
    if file.file_size and file.file_size > MAX_INPUT_BYTES:
        raise ImageTooLarge("over 20 MB")
    admission = context.submissions.admission(
        account, chat_id=message.chat_id, message_id=message.message_id
    )
    async with admission as admitted:  # an upload slot until the job is queued
        if not admitted:
            log.info("photo update redelivered; ignoring", extra={"user_id": account.user_id})
            return None
        _show_upload(context, message.chat_id)
        return await context.submissions.submit_photo(
            PhotoSubmission(
                user_id=account.user_id,
                chat_id=message.chat_id,
                source_message_id=message.message_id,
                image=await download(file),
                caption=message.caption,
                encoded_by_telegram=isinstance(file, PhotoSize),
            )
        )


_chat_actions: set[asyncio.Task[None]] = set()


def _show_upload(context: BotContext, chat_id: int) -> None:
    """ "Sending a photo…" in the chat, while the photo goes on: cosmetic, so nothing waits
    for Telegram's answer to it and no failure of it stops the photo."""

    async def show() -> None:
        try:
            await context.bot.send_chat_action(chat_id, ChatAction.UPLOAD_PHOTO)
        except Exception as exc:
            log.debug("no upload chat action: %s", exc)

    task = asyncio.create_task(show())
    _chat_actions.add(task)
    task.add_done_callback(_chat_actions.discard)


class _Received(io.BytesIO):
    """Keeps the bytes object python-telegram-bot writes rather than copying it into a
    buffer (and again out of it): a photo is megabytes, and a burst downloads many at once."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[bytes] = []

    def write(self, buffer: ReadableBuffer, /) -> int:
        part = bytes(buffer)  # already bytes: the same object, no copy
        self.parts.append(part)
        return len(part)

    def received(self) -> bytes:
        return b"".join(self.parts)  # one part (every download): that part itself


async def download(file: PhotoSize | Document) -> bytes:
    """The file's bytes. getFile and the download change nothing at Telegram, so one network
    hiccup gets a second try before the user is asked to send the photo again."""
    for attempt in range(1, DOWNLOAD_ATTEMPTS + 1):
        try:
            received = _Received()
            await (await file.get_file()).download_to_memory(received)
            return received.received()
        except BadRequest as exc:  # e.g. "file is too big" from getFile
            raise ImageTooLarge(str(exc)) from exc
        except TelegramError as exc:
            if attempt == DOWNLOAD_ATTEMPTS:
                raise PhotoUnavailable(f"downloading the photo failed: {exc}") from exc
            log.info("downloading the photo failed (%s); trying once more", exc)
            await asyncio.sleep(DOWNLOAD_RETRY_PAUSE_SECONDS)
    raise AssertionError("unreachable")  # pragma: no cover


async def acknowledge(context: BotContext, message: Message, gen_id: str) -> None:
    """ "⏳ Creating…" now that the job is durable, recorded on the job so the worker removes
    it; if the worker already finished, it never knew of it, so it goes here. Skipped while
    Telegram's send budget is saturated (a burst): the avatar itself is the answer (§10)."""
    limiter = context.bot.rate_limiter
    if isinstance(limiter, PriorityRateLimiter) and limiter.saturated:
        return
    try:
        status = await message.reply_text(t("photo.working", context.lang))
    except TelegramError as exc:
        log.info("no status message: %s", exc)
        return
    try:
        attached = await context.submissions.attach_status(gen_id, status.message_id)
    except Exception:
        log.warning("could not record the status message", exc_info=True)
        attached = False
    if not attached:
        with contextlib.suppress(TelegramError):
            await status.delete()


async def on_again(update: Update, context: BotContext) -> None:
    """🔁 on an avatar: the same photo once more (one take per avatar message)."""
    press = await button_press(update, context)
    if press is None:
        return
    query, message, lang = press.query, press.message, press.lang
    try:
        submitted = await context.submissions.submit_again(
            user_id=press.user_id,
            gen_id=press.callback.value,
            chat_id=message.chat_id,
            source_message_id=message.message_id,
        )
    except NotFound:
        await query.answer(t("error.not_found", lang), show_alert=True)
        return
    except SubmissionRefused as refusal:
        await query.answer()
        await refuse(message, refusal, lang)
        return
    if submitted.duplicate:
        await query.answer(t("photo.duplicate", lang))
        return
    await query.answer()
    await acknowledge(context, message, submitted.generation_id)
