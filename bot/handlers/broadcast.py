"""/broadcast (as a reply), its confirmation, /broadcast_cancel, and blocked-bot notices.

Admin-only: to anyone else the commands answer as unknown ones and the buttons as stale.
The preview is the message copied back to the admin, exactly what users will receive.
"""

from __future__ import annotations

from telegram import ChatMember, Update

from bot.callbacks import Action
from bot.context import BotContext
from bot.handlers.admin import admin_only
from bot.handlers.common import button_press, message_of, reply
from bot.keyboards import broadcast_keyboard
from bot.texts import t


@admin_only
async def broadcast(update: Update, context: BotContext) -> None:
    message, lang = message_of(update), context.lang
    target = message.reply_to_message
    if target is None:
        await reply(update, t("broadcast.usage", lang))
        return
    audience = await context.broadcasts.audience()  # BroadcastAlreadyRunning while one runs
    preview = await context.bot.copy_message(message.chat_id, message.chat_id, target.message_id)
    await context.bot.send_message(
        message.chat_id,
        t("broadcast.preview", lang, audience=audience),
        reply_markup=broadcast_keyboard(target.message_id, lang),
        reply_to_message_id=preview.message_id,
    )


async def on_broadcast_button(update: Update, context: BotContext) -> None:
    press = await button_press(update, context)
    if press is None:
        return
    lang = press.lang
    if not context.admin.is_admin(press.user_id) or (
        press.callback.action is Action.BROADCAST_SEND and not press.callback.value.isdigit()
    ):
        await press.query.answer(t("callback.stale", lang), show_alert=True)
        return
    if press.callback.action is Action.BROADCAST_DROP:
        await press.query.answer()
        await press.message.edit_text(t("broadcast.dropped", lang))
        return
    report = await context.broadcasts.start(
        admin_id=press.user_id,
        admin_language=lang,
        source_chat_id=press.message.chat_id,
        source_message_id=int(press.callback.value),
        progress_message_id=press.message.message_id,
    )
    await press.query.answer()
    await press.message.edit_text(t("broadcast.started", lang, total=report.total))


@admin_only
async def broadcast_cancel(update: Update, context: BotContext) -> None:
    lang = context.lang
    report = await context.broadcasts.cancel()
    if report is None:
        await reply(update, t("broadcast.none", lang))
        return
    counts = {"sent": report.sent, "blocked": report.blocked, "failed": report.failed}
    await reply(update, t("broadcast.cancelled", lang, left=report.total - report.done, **counts))


async def on_my_chat_member(update: Update, context: BotContext) -> None:
    """A user blocked (or unblocked) the bot in their private chat."""
    change = update.my_chat_member
    if change is None or change.chat.type != "private":
        return
    status = change.new_chat_member.status
    await context.broadcasts.note_blocked(
        change.from_user.id, blocked=status in (ChatMember.BANNED, ChatMember.LEFT)
    )
