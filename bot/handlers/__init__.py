"""Where every handler is registered: one place to see what the bot answers to."""

from __future__ import annotations

from telegram import Update
from telegram.ext import (
    CallbackQueryHandler,
    ChatMemberHandler,
    ChosenInlineResultHandler,
    CommandHandler,
    InlineQueryHandler,
    MessageHandler,
    PreCheckoutQueryHandler,
    TypeHandler,
    filters,
)

from bot.callbacks import GALLERY_ACTIONS, Action, pattern_for
from bot.context import BotApplication
from bot.handlers import (
    admin,
    albums,
    arrival,
    broadcast,
    buy,
    credits,
    edits,
    fallback,
    gallery,
    inline,
    invite,
    language,
    photos,
    refunds,
    start,
    stickers,
    styles,
)
from core.flood_guard import FloodGuard

NEW_MESSAGE = filters.UpdateType.MESSAGE  # edited messages never start anything


def register_handlers(application: BotApplication, *, rate_limit_per_minute: int) -> None:
    guard = FloodGuard(per_minute=rate_limit_per_minute)
    application.add_handler(TypeHandler(Update, arrival.arrival_step(guard)), group=-1)
    # Payments first: Telegram waits at most 10 s for the pre-checkout answer.
    application.add_handler(PreCheckoutQueryHandler(buy.on_pre_checkout))
    application.add_handler(
        MessageHandler(NEW_MESSAGE & filters.SUCCESSFUL_PAYMENT, buy.on_successful_payment)
    )
    application.add_handler(
        MessageHandler(NEW_MESSAGE & filters.StatusUpdate.REFUNDED_PAYMENT, buy.on_refunded_payment)
    )
    commands = {
        "start": start.start,
        "help": start.help_command,
        "credits": credits.credits,
        "gallery": gallery.gallery,
        "delete": gallery.delete_command,
        "style": styles.style,
        "buy": buy.buy,
        "paysupport": buy.paysupport,
        "terms": buy.terms,
        "invite": invite.invite,
        "language": language.choose_language,
        # Admin-only; to anyone else they answer exactly as an unknown command.
        "grant": admin.grant,
        "refund": refunds.refund,
        "stats": admin.stats,
        "user": admin.user_info,
        "broadcast": broadcast.broadcast,
        "broadcast_cancel": broadcast.broadcast_cancel,
    }
    for name, callback in commands.items():
        application.add_handler(CommandHandler(name, callback, filters=NEW_MESSAGE))
    application.add_handler(MessageHandler(NEW_MESSAGE & filters.PHOTO, photos.on_photo))
    application.add_handler(MessageHandler(NEW_MESSAGE & filters.Document.ALL, photos.on_document))
    buttons = {
        (Action.AGAIN,): photos.on_again,
        (Action.ALBUM,): albums.on_album_choice,
        (Action.STYLE,): styles.on_style_button,
        (Action.BUY,): buy.on_buy_button,
        (Action.PACK,): buy.on_pack_button,
        (Action.LANGUAGE,): language.on_language_button,
        (Action.REFUND_CONFIRM, Action.REFUND_CANCEL): refunds.on_refund_button,
        (Action.STICKER,): stickers.on_sticker_button,
        (Action.BROADCAST_SEND, Action.BROADCAST_DROP): broadcast.on_broadcast_button,
        GALLERY_ACTIONS: gallery.on_gallery_button,
    }
    for actions, callback in buttons.items():
        application.add_handler(CallbackQueryHandler(callback, pattern=pattern_for(*actions)))
    application.add_handler(CallbackQueryHandler(fallback.stale_button))
    text_reply = NEW_MESSAGE & filters.REPLY & filters.TEXT & ~filters.COMMAND
    application.add_handler(MessageHandler(text_reply, edits.on_reply))
    # Inline mode works from any chat, the bot's own or not (product.md §12).
    application.add_handler(InlineQueryHandler(inline.on_inline_query))
    application.add_handler(ChosenInlineResultHandler(inline.on_chosen_result))
    application.add_handler(
        ChatMemberHandler(broadcast.on_my_chat_member, ChatMemberHandler.MY_CHAT_MEMBER)
    )
    application.add_handler(MessageHandler(NEW_MESSAGE & filters.COMMAND, fallback.unknown_command))
    application.add_handler(MessageHandler(NEW_MESSAGE & ~filters.COMMAND, fallback.unsupported))
