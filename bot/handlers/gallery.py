"""/gallery, /delete and the gallery's inline buttons.

Callback data is client-controlled: every action names a generation, and the service refuses
any generation that is not the pressing user's (NotFound), which we answer with a short alert.
"""

from __future__ import annotations

import logging

from telegram import InputFile, Message, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError

from bot.callbacks import Action, Callback
from bot.context import BotContext
from bot.gallery_view import edit_caption, edit_page, send_page
from bot.handlers.common import button_press, language, message_of, reply
from bot.texts import t
from core.errors import NotFound

log = logging.getLogger(__name__)


async def gallery(update: Update, context: BotContext) -> None:
    """The newest avatar, with paging buttons; a friendly text when there is none."""
    user = update.effective_user
    if user is None:
        return
    await _open_gallery(update, context, user.id)


async def _open_gallery(update: Update, context: BotContext, user_id: int) -> None:
    lang = await language(update, context)
    page = await context.avatars.gallery_at(user_id, 0)
    chat = update.effective_chat
    if page is None or chat is None:
        await context.bot.send_message(user_id, t("gallery.empty", lang), parse_mode=ParseMode.HTML)
        return
    await send_page(context, chat.id, page, lang)


async def delete_command(update: Update, context: BotContext) -> None:
    """Delete with confirmation: the avatar replied to, else the newest one."""
    message = message_of(update)
    user = update.effective_user
    if user is None:
        return
    lang = await language(update, context)
    target = message.reply_to_message
    if target is not None:
        page = await context.avatars.avatar_for_message(
            user_id=user.id, chat_id=message.chat_id, message_id=target.message_id
        )
        if page is None:
            await reply(update, t("gallery.reply_to_avatar", lang))
            return
    else:
        page = await context.avatars.gallery_at(user.id, 0)
        if page is None:
            await reply(update, t("gallery.empty", lang))
            return
    await send_page(context, message.chat_id, page, lang, confirming=True)


async def on_gallery_button(update: Update, context: BotContext) -> None:
    """◀ ▶ 🗑, confirm/cancel, full size and 'open gallery'; answered in every case."""
    press = await button_press(update, context)
    if press is None:
        return
    query, callback, message, lang = press.query, press.callback, press.message, press.lang
    try:
        notice = await _act(context, callback, query.from_user.id, message, lang)
    except NotFound:
        await query.answer(t("error.not_found", lang), show_alert=True)
        return
    await query.answer(notice)


async def _act(
    context: BotContext, callback: Callback, user_id: int, message: Message, lang: str
) -> str | None:
    avatars = context.avatars
    if callback.action is Action.OPEN_GALLERY:
        page = await avatars.gallery_at(user_id, 0)
        if page is None:
            await context.bot.send_message(message.chat_id, t("gallery.empty", lang))
        else:
            await send_page(context, message.chat_id, page, lang)
        return None
    page = await avatars.gallery_item(user_id, callback.value)  # NotFound unless it's theirs
    if callback.action in (Action.PREV, Action.NEXT):
        step = -1 if callback.action is Action.PREV else 1
        target = await avatars.gallery_at(user_id, page.index + step)
        if target is not None:
            await edit_page(context, message, target, lang)
    elif callback.action is Action.ASK_DELETE:
        await edit_caption(message, page, lang, confirming=True)
    elif callback.action is Action.CANCEL_DELETE:
        await edit_caption(message, page, lang)
    elif callback.action is Action.CONFIRM_DELETE:
        await avatars.delete_avatar(user_id, page.item.id)
        return await _after_delete(context, message, user_id, page.index, lang)
    elif callback.action is Action.FULL_SIZE:
        data, content_type = await avatars.read_avatar(user_id, page.item.id)
        extension = content_type.rsplit("/", 1)[-1]
        await context.bot.send_document(
            message.chat_id, InputFile(data, filename=f"aivenger-avatar.{extension}")
        )
    return None


async def _after_delete(
    context: BotContext, message: Message, user_id: int, index: int, lang: str
) -> str:
    following = await context.avatars.gallery_at(user_id, index)
    if following is not None:
        await edit_page(context, message, following, lang)
        return t("gallery.deleted", lang)
    try:
        await message.delete()
    except TelegramError:  # older than 48 h: the data is gone anyway; strip the buttons
        log.info("could not delete the gallery message; editing it instead")
        await message.edit_caption(t("gallery.deleted_empty", lang), parse_mode=ParseMode.HTML)
        return t("gallery.deleted", lang)
    await context.bot.send_message(message.chat_id, t("gallery.deleted_empty", lang))
    return t("gallery.deleted", lang)
