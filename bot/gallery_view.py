"""Showing a gallery page as a photo message: by stored file_id, uploading only as a fallback.

Paging edits one message with editMessageMedia and the Telegram file_id we stored when the
avatar was first sent, so turning a page costs no blob read and no upload. When there is no
file_id, or Telegram no longer knows it, the image is uploaded from the blob store once and
the new file_id remembered.
"""

from __future__ import annotations

import logging

from telegram import InlineKeyboardMarkup, InputFile, InputMediaPhoto, Message
from telegram.constants import ParseMode
from telegram.error import BadRequest

from bot.context import BotContext
from bot.handlers.credits import format_date
from bot.keyboards import confirm_delete_keyboard, gallery_keyboard
from bot.texts import style_name, t
from core.avatars import GalleryPage

log = logging.getLogger(__name__)


def caption_for(page: GalleryPage, lang: str) -> str:
    item = page.item
    return t(
        "gallery.caption",
        lang,
        position=page.index + 1,
        total=page.total,
        style=style_name(item.style, lang),
        date=format_date(item.created_at, lang),
    )


def keyboard_for(page: GalleryPage, lang: str, *, confirming: bool = False) -> InlineKeyboardMarkup:
    if confirming:
        return confirm_delete_keyboard(page.item.id, lang)
    return gallery_keyboard(
        page.item.id, has_prev=page.index > 0, has_next=page.index < page.total - 1, lang=lang
    )


def is_not_modified(exc: BadRequest) -> bool:
    return "message is not modified" in exc.message.lower()


def is_bad_file_id(exc: BadRequest) -> bool:
    text = exc.message.lower()
    return (
        "wrong file identifier" in text or "file reference" in text or "wrong remote file" in text
    )


async def send_page(
    context: BotContext, chat_id: int, page: GalleryPage, lang: str, *, confirming: bool = False
) -> Message:
    caption = t("gallery.confirm", lang) if confirming else caption_for(page, lang)
    markup = keyboard_for(page, lang, confirming=confirming)
    if page.item.telegram_file_id:
        try:
            return await context.bot.send_photo(
                chat_id,
                page.item.telegram_file_id,
                caption=caption,
                parse_mode=ParseMode.HTML,
                reply_markup=markup,
            )
        except BadRequest as exc:
            if not is_bad_file_id(exc):
                raise
    sent = await context.bot.send_photo(
        chat_id,
        await _upload(context, page),
        caption=caption,
        parse_mode=ParseMode.HTML,
        reply_markup=markup,
    )
    await _remember(context, page, sent)
    return sent


async def edit_page(
    context: BotContext, message: Message, page: GalleryPage, lang: str, *, confirming: bool = False
) -> None:
    caption = t("gallery.confirm", lang) if confirming else caption_for(page, lang)
    markup = keyboard_for(page, lang, confirming=confirming)
    if page.item.telegram_file_id:
        try:
            await _edit(message, page.item.telegram_file_id, caption, markup)
            return
        except BadRequest as exc:
            if is_not_modified(exc):
                return
            if not is_bad_file_id(exc):
                raise
            log.info("stored file_id rejected; uploading", extra={"generation_id": page.item.id})
    edited = await _edit(message, await _upload(context, page), caption, markup)
    if isinstance(edited, Message):
        await _remember(context, page, edited)


async def edit_caption(
    message: Message, page: GalleryPage, lang: str, *, confirming: bool = False
) -> None:
    """Same avatar, new caption and buttons (asking to delete, or cancelling): no media edit."""
    caption = t("gallery.confirm", lang) if confirming else caption_for(page, lang)
    try:
        await message.edit_caption(
            caption,
            parse_mode=ParseMode.HTML,
            reply_markup=keyboard_for(page, lang, confirming=confirming),
        )
    except BadRequest as exc:
        if not is_not_modified(exc):
            raise


async def _edit(
    message: Message, media: str | InputFile, caption: str, markup: InlineKeyboardMarkup
) -> Message | bool:
    return await message.edit_media(
        InputMediaPhoto(media, caption=caption, parse_mode=ParseMode.HTML), reply_markup=markup
    )


async def _upload(context: BotContext, page: GalleryPage) -> InputFile:
    data, content_type = await context.avatars.read_avatar(page.item.user_id, page.item.id)
    return InputFile(data, filename=f"avatar.{content_type.rsplit('/', 1)[-1]}")


async def _remember(context: BotContext, page: GalleryPage, message: Message) -> None:
    if message.photo:
        await context.avatars.remember_file_id(
            page.item.user_id, page.item.id, message.photo[-1].file_id
        )
