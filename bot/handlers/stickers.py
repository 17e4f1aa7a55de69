"""🎭 on an avatar: the avatar as a sticker in the user's own pack, then the pack's link.

Refusals (a foreign avatar, pack full, flood, a sticker already on its way) reach the user
through the one error path (bot.refusals); lack of credits gets the sticker's own price.
"""

from __future__ import annotations

from telegram import Update

from bot.context import BotContext
from bot.handlers.common import button_press
from bot.keyboards import buy_button_keyboard
from bot.texts import Html, t
from core.errors import InsufficientCredits

PACK_LINK = "https://t.me/addstickers/{name}"


async def on_sticker_button(update: Update, context: BotContext) -> None:
    press = await button_press(update, context)
    if press is None:
        return
    lang, chat_id = press.lang, press.message.chat_id
    title = t("sticker.pack_title", lang, name=Html(press.query.from_user.first_name))
    try:
        made = await context.stickers.make(
            user_id=press.user_id, gen_id=press.callback.value, title=title
        )
    except InsufficientCredits as exc:
        await press.query.answer()
        text = t("sticker.insufficient_credits", lang, **exc.params)
        await context.bot.send_message(chat_id, text, reply_markup=buy_button_keyboard(lang))
        return
    await press.query.answer()
    await context.bot.send_sticker(chat_id, made.file_id)
    link = PACK_LINK.format(name=made.pack_name)
    if made.again:
        text = t("sticker.again", lang, link=link)
    elif made.balance is not None:
        text = t("sticker.made_paid", lang, link=link, cost=made.cost, credits=made.balance)
    else:
        text = t("sticker.made", lang, link=link)
    await context.bot.send_message(chat_id, text)
