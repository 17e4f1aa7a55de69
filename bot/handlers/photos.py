"""Photo and image-file intake: check cheaply, say we're on it, download, submit.

Workers do the generation and send the avatar; this handler returns as soon as the job is
queued, so a slow model never holds up anyone's updates.
"""

from __future__ import annotations

import contextlib
import logging

from telegram import Document, InlineKeyboardMarkup, Message, PhotoSize, Update
from telegram.constants import ChatAction, ParseMode
from telegram.error import BadRequest, TelegramError

from bot.context import BotContext
from bot.handlers.common import button_press, language, message_of, profile_of, reply
from bot.keyboards import buy_button_keyboard
from bot.ratelimit import PriorityRateLimiter
from bot.texts import error_text, t
from core.avatars import PhotoSubmission
from core.errors import (
    ImageTooLarge,
    InsufficientCredits,
    NotAnImage,
    NotFound,
    StorageError,
    SubmissionRefused,
    TooManyActive,
    UnknownUser,
)
from core.intake import MAX_INPUT_BYTES

log = logging.getLogger(__name__)

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
    await _intake(update, context, message.photo[-1])


async def on_document(update: Update, context: BotContext) -> None:
    """An image sent as a file (uncompressed); anything else gets a hint."""
    message = message_of(update)
    document = message.document
    if document is None:
        return
    if not is_image_document(document):
        await _refuse(
            update, NotAnImage("document is not an image"), await language(update, context)
        )
        return
    await _intake(update, context, document)


async def _intake(update: Update, context: BotContext, file: PhotoSize | Document) -> None:
    message = message_of(update)
    user = update.effective_user
    if user is None:
        return
    lang = await language(update, context)
    if file.file_size and file.file_size > MAX_INPUT_BYTES:
        await _refuse(update, ImageTooLarge("over 20 MB"), lang)
        return
    if await context.avatars.is_known_photo(chat_id=message.chat_id, message_id=message.message_id):
        log.info("photo update redelivered; ignoring", extra={"user_id": user.id})
        return
    try:
        await _ensure_can_submit(update, context)
    except SubmissionRefused as refusal:
        await _refuse(update, refusal, lang)
        return
    status = await _status_message(context, message, lang)
    try:
        data = bytes(await (await file.get_file()).download_as_bytearray())
        submitted = await context.avatars.submit_photo(
            PhotoSubmission(
                user_id=user.id,
                chat_id=message.chat_id,
                source_message_id=message.message_id,
                image=data,
                caption=message.caption,
                status_message_id=status.message_id if status else None,
            )
        )
    except SubmissionRefused as refusal:
        await _answer(message, status, _refusal_text(refusal, lang), _refusal_markup(refusal, lang))
        return
    except BadRequest as exc:  # e.g. "file is too big" from getFile
        log.info("download refused: %s", exc, extra={"user_id": user.id})
        await _answer(message, status, _refusal_text(ImageTooLarge(str(exc)), lang))
        return
    except (StorageError, TelegramError) as exc:
        log.warning("intake failed: %s", exc, extra={"user_id": user.id})
        await _answer(message, status, error_text("storage_retry", lang))
        return
    if submitted.duplicate and status is not None:
        await status.delete()


async def _status_message(context: BotContext, message: Message, lang: str) -> Message | None:
    """ "⏳ Creating…" at once, unless Telegram's send budget is saturated (a burst): then the
    avatar itself is the first answer, and the budget goes to avatars (product §10)."""
    limiter = context.bot.rate_limiter
    if isinstance(limiter, PriorityRateLimiter) and limiter.saturated:
        return None
    try:  # cosmetic: neither may stop the photo
        status = await message.reply_text(t("photo.working", lang))
    except TelegramError as exc:
        log.info("no status message: %s", exc)
        return None
    with contextlib.suppress(TelegramError):
        await context.bot.send_chat_action(message.chat_id, ChatAction.UPLOAD_PHOTO)
    return status


async def _answer(
    message: Message, status: Message | None, text: str, markup: InlineKeyboardMarkup | None = None
) -> None:
    """Turn the status message into the answer, or reply when there is none."""
    if status is None:
        await message.reply_text(text, parse_mode=ParseMode.HTML, reply_markup=markup)
    else:
        await status.edit_text(text, parse_mode=ParseMode.HTML, reply_markup=markup)


async def _ensure_can_submit(update: Update, context: BotContext) -> None:
    user = update.effective_user
    assert user is not None
    try:
        await context.avatars.ensure_can_submit(user.id)
    except UnknownUser:
        await context.avatars.register(profile_of(user))  # a photo before /start still counts
        await context.avatars.ensure_can_submit(user.id)


def _refusal_text(refusal: SubmissionRefused, lang: str) -> str:
    if isinstance(refusal, InsufficientCredits):
        return error_text(refusal.code, lang, cost=refusal.cost, credits=refusal.balance)
    if isinstance(refusal, TooManyActive):
        return error_text(refusal.code, lang, limit=refusal.limit)
    return error_text(refusal.code, lang)


def _refusal_markup(refusal: SubmissionRefused, lang: str) -> InlineKeyboardMarkup | None:
    return buy_button_keyboard(lang) if isinstance(refusal, InsufficientCredits) else None


async def _refuse(update: Update, refusal: SubmissionRefused, lang: str) -> None:
    await reply(update, _refusal_text(refusal, lang), reply_markup=_refusal_markup(refusal, lang))


async def on_again(update: Update, context: BotContext) -> None:
    """🔁 on an avatar: the same photo once more (one take per avatar message)."""
    press = await button_press(update, context)
    if press is None:
        return
    query, callback, message, lang = press.query, press.callback, press.message, press.lang
    user_id = query.from_user.id
    if await context.avatars.is_known_photo(chat_id=message.chat_id, message_id=message.message_id):
        await query.answer(t("photo.duplicate", lang))
        return
    try:
        await context.avatars.gallery_item(user_id, callback.value)  # ownership first
        await context.avatars.ensure_can_submit(user_id)
    except NotFound:
        await query.answer(t("error.not_found", lang), show_alert=True)
        return
    except SubmissionRefused as refusal:
        await query.answer()
        await message.reply_text(
            _refusal_text(refusal, lang),
            parse_mode=ParseMode.HTML,
            reply_markup=_refusal_markup(refusal, lang),
        )
        return
    await query.answer()
    status = await message.reply_text(t("photo.working", lang))
    try:
        await context.avatars.submit_again(
            user_id=user_id,
            gen_id=callback.value,
            chat_id=message.chat_id,
            source_message_id=message.message_id,
            status_message_id=status.message_id,
        )
    except SubmissionRefused as refusal:
        await _answer(status, status, _refusal_text(refusal, lang), _refusal_markup(refusal, lang))
    except (NotFound, StorageError) as exc:
        log.warning("again failed: %s", exc, extra={"user_id": user_id})
        await _answer(status, status, error_text("storage_retry", lang))
