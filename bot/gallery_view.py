"""Showing a gallery page as a photo message: by stored file_id, uploading only as a fallback.

Paging edits one message with editMessageMedia and the Telegram file_id we stored when the
avatar was first sent, so turning a page costs no blob read and no upload. When there is no
file_id, or Telegram no longer knows it, the image is uploaded from the blob store once and
the new file_id remembered.
"""

from __future__ import annotations

import logging

from telegram import InlineKeyboardMarkup, InputFile, InputMediaPhoto, Message
from telegram.error import BadRequest

from bot.context import BotContext
from bot.formatting import format_date
from bot.keyboards import confirm_delete_keyboard, gallery_keyboard
from bot.texts import style_name, t
from core.services.gallery import GalleryPage

log = logging.getLogger(__name__)


def caption_for(page: GalleryPage, lang: str, *, confirming: bool = False) -> str:
    if confirming:
        return t("gallery.confirm", lang)
    caption = t(
        "gallery.caption",
        lang,
        position=page.index + 1,
        total=page.total,
        style=style_name(page.avatar.style, lang),
        date=format_date(page.avatar.created_at, lang),
    )
    parent = page.avatar.edited_from
    if parent is None:
        return caption
    if parent.index is None:
        return caption + "\n" + t("gallery.edited_from_deleted", lang)
    return (
        caption
        + "\n"
        + t("gallery.edited_from", lang, position=parent.index + 1, total=parent.total)
    )


def keyboard_for(page: GalleryPage, lang: str, *, confirming: bool = False) -> InlineKeyboardMarkup:
    gen_id = page.avatar.generation_id
    if confirming:
        return confirm_delete_keyboard(gen_id, lang)
    return gallery_keyboard(gen_id, has_prev=page.has_newer, has_next=page.has_older, lang=lang)


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
    caption = caption_for(page, lang, confirming=confirming)
    markup = keyboard_for(page, lang, confirming=confirming)
    if page.avatar.telegram_file_id:
        try:
            return await context.bot.send_photo(
                chat_id, page.avatar.telegram_file_id, caption=caption, reply_markup=markup
            )
        except BadRequest as exc:
            if not is_bad_file_id(exc):
                raise
    sent = await context.bot.send_photo(
        chat_id, await _upload(context, page), caption=caption, reply_markup=markup
    )
    await _remember(context, page, sent)
    return sent


async def edit_page(context: BotContext, message: Message, page: GalleryPage, lang: str) -> None:
    caption, markup = caption_for(page, lang), keyboard_for(page, lang)
    if page.avatar.telegram_file_id:
        try:
            await _edit(message, page.avatar.telegram_file_id, caption, markup)
            return
        except BadRequest as exc:
            if is_not_modified(exc):
                return
            if not is_bad_file_id(exc):
                raise
            log.info(
                "stored file_id rejected; uploading",
                extra={"generation_id": page.avatar.generation_id},
            )
    edited = await _edit(message, await _upload(context, page), caption, markup)
    if isinstance(edited, Message):
        await _remember(context, page, edited)


async def edit_caption(
    message: Message, page: GalleryPage, lang: str, *, confirming: bool = False
) -> None:
    """Same avatar, new caption and buttons (asking to delete, or cancelling): no media edit."""
    try:
        await message.edit_caption(
            caption_for(page, lang, confirming=confirming),
            reply_markup=keyboard_for(page, lang, confirming=confirming),
        )
    except BadRequest as exc:
        if not is_not_modified(exc):
            raise


async def _edit(
    message: Message, media: str | InputFile, caption: str, markup: InlineKeyboardMarkup
) -> Message | bool:
    return await message.edit_media(InputMediaPhoto(media, caption=caption), reply_markup=markup)


async def _upload(context: BotContext, page: GalleryPage) -> InputFile:
    image = await context.gallery.image(page.avatar.user_id, page.avatar.generation_id)
    return InputFile(image.data, filename=f"avatar.{image.content_type.rsplit('/', 1)[-1]}")


async def _remember(context: BotContext, page: GalleryPage, message: Message) -> None:
    if message.photo:
        avatar = page.avatar
        await context.gallery.remember_file_id(
            avatar.user_id, avatar.generation_id, message.photo[-1].file_id
        )
