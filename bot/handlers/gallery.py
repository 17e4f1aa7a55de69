"""/gallery, /delete and the gallery's inline buttons.

Callback data is client-controlled: every action names a generation, and the service refuses
any generation that is not the pressing user's (NotFound), which we answer with a short alert.
"""

from __future__ import annotations

import logging

from telegram import InputFile, Message, Update
from telegram.error import TelegramError

from bot.callbacks import Action, Callback
from bot.context import BotContext
from bot.gallery_view import edit_caption, edit_page, send_page
from bot.handlers.common import button_press, message_of, reply
from bot.texts import t
from core.errors import NotFound
from core.services.gallery import GalleryPage

log = logging.getLogger(__name__)


async def gallery(update: Update, context: BotContext) -> None:
    """The newest avatar, with paging buttons; a friendly text when there is none."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return
    await _open_gallery(context, user.id, chat.id)


async def _open_gallery(context: BotContext, user_id: int, chat_id: int) -> None:
    page = await context.gallery.newest(user_id)
    if page is None:
        await context.bot.send_message(chat_id, t("gallery.empty", context.lang))
        return
    await send_page(context, chat_id, page, context.lang)


async def delete_command(update: Update, context: BotContext) -> None:
    """Delete with confirmation: the avatar replied to, else the newest one."""
    message = message_of(update)
    user = update.effective_user
    if user is None:
        return
    lang, target = context.lang, message.reply_to_message
    if target is not None:
        page = await context.gallery.for_message(
            user_id=user.id, chat_id=message.chat_id, message_id=target.message_id
        )
        if page is None:
            await reply(update, t("gallery.reply_to_avatar", lang))
            return
    else:
        page = await context.gallery.newest(user.id)
        if page is None:
            await reply(update, t("gallery.empty", lang))
            return
    await send_page(context, message.chat_id, page, lang, confirming=True)


async def on_gallery_button(update: Update, context: BotContext) -> None:
    """◀ ▶ 🗑, confirm/cancel, full size and 'open gallery'; answered in every case."""
    press = await button_press(update, context)
    if press is None:
        return
    try:
        notice = await _act(context, press.callback, press.user_id, press.message)
    except NotFound:
        await press.query.answer(t("error.not_found", press.lang), show_alert=True)
        return
    await press.query.answer(notice)


async def _act(
    context: BotContext, callback: Callback, user_id: int, message: Message
) -> str | None:
    gallery, lang, gen_id = context.gallery, context.lang, callback.value
    match callback.action:
        case Action.OPEN_GALLERY:
            await _open_gallery(context, user_id, message.chat_id)
        case Action.PREV | Action.NEXT:
            older = callback.action is Action.NEXT
            target = await gallery.turn(user_id, gen_id, older=older)  # NotFound unless theirs
            if target is not None:
                await edit_page(context, message, target, lang)
        case Action.ASK_DELETE | Action.CANCEL_DELETE:
            confirming = callback.action is Action.ASK_DELETE
            await edit_caption(
                message, await gallery.page(user_id, gen_id), lang, confirming=confirming
            )
        case Action.CONFIRM_DELETE:
            following = await gallery.delete(user_id, gen_id)
            return await _after_delete(context, message, following)
        case Action.FULL_SIZE:
            image = await gallery.image(user_id, gen_id)
            extension = image.content_type.rsplit("/", 1)[-1]
            await context.bot.send_document(
                message.chat_id, InputFile(image.data, filename=f"aivenger-avatar.{extension}")
            )
    return None


async def _after_delete(
    context: BotContext, message: Message, following: GalleryPage | None
) -> str:
    """Show the next avatar in place, or say the gallery is empty now."""
    lang = context.lang
    if following is not None:
        await edit_page(context, message, following, lang)
        return t("gallery.deleted", lang)
    try:
        await message.delete()
    except TelegramError:  # older than 48 h: the data is gone anyway; strip the buttons
        log.info("could not delete the gallery message; editing it instead")
        await message.edit_caption(t("gallery.deleted_empty", lang))
        return t("gallery.deleted", lang)
    await context.bot.send_message(message.chat_id, t("gallery.deleted_empty", lang))
    return t("gallery.deleted", lang)
