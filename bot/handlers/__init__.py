"""Where every handler is registered: one place to see what the bot answers to."""

from __future__ import annotations

from telegram import Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    PreCheckoutQueryHandler,
    TypeHandler,
    filters,
)

from bot.context import BotApplication, BotContext
from bot.handlers import (
    admin,
    buy,
    common,
    credits,
    fallback,
    gallery,
    invite,
    language,
    photos,
    start,
    styles,
)
from bot.texts import t
from core.ratelimit import RateLimiter

NEW_MESSAGE = filters.UpdateType.MESSAGE  # edited messages never start anything


async def stale_button(update: Update, context: BotContext) -> None:
    """Any callback we do not recognise is still answered, so the client stops spinning."""
    if update.callback_query is not None:
        lang = await common.language(update, context)
        await update.callback_query.answer(t("callback.stale", lang), show_alert=True)


def register_handlers(application: BotApplication, *, rate_limit_per_minute: int) -> None:
    limiter = RateLimiter(per_minute=rate_limit_per_minute)
    application.add_handler(TypeHandler(Update, fallback.rate_limit_guard(limiter)), group=-1)
    # Payments first: Telegram waits at most 10 s for the pre-checkout answer.
    application.add_handler(PreCheckoutQueryHandler(buy.on_pre_checkout))
    application.add_handler(
        MessageHandler(NEW_MESSAGE & filters.SUCCESSFUL_PAYMENT, buy.on_successful_payment)
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
        "refund": admin.refund,
        "stats": admin.stats,
        "user": admin.user_info,
    }
    for name, callback in commands.items():
        application.add_handler(CommandHandler(name, callback, filters=NEW_MESSAGE))
    application.add_handler(MessageHandler(NEW_MESSAGE & filters.PHOTO, photos.on_photo))
    application.add_handler(MessageHandler(NEW_MESSAGE & filters.Document.ALL, photos.on_document))
    application.add_handler(CallbackQueryHandler(photos.on_again, pattern=r"^a:"))
    application.add_handler(CallbackQueryHandler(styles.on_style_button, pattern=r"^s:"))
    application.add_handler(CallbackQueryHandler(buy.on_buy_button, pattern=r"^b:"))
    application.add_handler(CallbackQueryHandler(buy.on_pack_button, pattern=r"^k:"))
    application.add_handler(CallbackQueryHandler(language.on_language_button, pattern=r"^l:"))
    application.add_handler(CallbackQueryHandler(gallery.on_gallery_button, pattern=r"^[pndycfg]:"))
    application.add_handler(CallbackQueryHandler(stale_button))
    application.add_handler(MessageHandler(NEW_MESSAGE & filters.COMMAND, fallback.unknown_command))
    application.add_handler(MessageHandler(NEW_MESSAGE & ~filters.COMMAND, fallback.unsupported))
