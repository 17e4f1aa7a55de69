"""/buy, the pack buttons, Telegram Stars checkout, and /paysupport and /terms.

Telegram asks for a pre-checkout answer within 10 seconds, so that handler checks the signed
payload in memory and answers; credits move only on successful_payment, keyed by the charge
id, so a redelivered update credits nothing more.
"""

from __future__ import annotations

import asyncio
import logging

from telegram import LabeledPrice, Message, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError

from bot.callbacks import parse
from bot.context import BotContext
from bot.handlers.common import language, message_of, profile_of, reply
from bot.keyboards import packs_keyboard
from bot.texts import language_for, t
from core.payments import CURRENCY, Checkout, PaymentRefused, PaymentService
from core.settings import CreditPack
from core.users import language_of

log = logging.getLogger(__name__)

# A refusal is worded in the user's chosen language when the database answers this fast;
# otherwise in their Telegram client's language, so the 10-second deadline always holds.
LANGUAGE_LOOKUP_SECONDS = 2.0


def payments_of(context: BotContext) -> PaymentService:
    settings = context.services.settings
    return PaymentService(
        sessions=context.services.sessions,
        packs=settings.credit_packs,
        bot_token=settings.telegram_bot_token.get_secret_value(),
        events=context.services.events,
    )


async def buy(update: Update, context: BotContext) -> None:
    """The packs on offer, one button each."""
    user = update.effective_user
    if user is None:
        return
    chat = update.effective_chat
    await _show_packs(
        context, user.id, chat.id if chat else user.id, await language(update, context)
    )


async def on_buy_button(update: Update, context: BotContext) -> None:
    """ "Buy credits" under a refusal, /credits or a failure: the same as /buy."""
    query = update.callback_query
    if query is None:
        return
    await query.answer()
    chat_id = query.message.chat.id if query.message else query.from_user.id
    await _show_packs(context, query.from_user.id, chat_id, await language(update, context))


async def _show_packs(context: BotContext, user_id: int, chat_id: int, lang: str) -> None:
    account = await context.avatars.user(user_id)
    text = t(
        "buy.choose",
        lang,
        credits=account.credits if account else 0,
        cost=context.avatars.policy.generation_cost,
    )
    await context.bot.send_message(
        chat_id,
        text,
        parse_mode=ParseMode.HTML,
        reply_markup=packs_keyboard(payments_of(context).packs, lang),
    )


async def on_pack_button(update: Update, context: BotContext) -> None:
    """A pack was chosen: send its invoice, signed for the user who pressed."""
    query = update.callback_query
    if query is None:
        return
    lang = await language(update, context)
    callback = parse(query.data)
    payments = payments_of(context)
    pack = payments.pack(callback.value) if callback else None
    if pack is None:
        await query.answer(t("callback.stale", lang), show_alert=True)
        return
    await query.answer()
    chat_id = query.message.chat.id if query.message else query.from_user.id
    await send_invoice(context, chat_id, query.from_user.id, pack, lang)


async def send_invoice(
    context: BotContext, chat_id: int, user_id: int, pack: CreditPack, lang: str
) -> Message:
    cost = context.avatars.policy.generation_cost
    return await context.bot.send_invoice(
        chat_id=chat_id,
        title=t("invoice.title", lang, credits=pack.credits),
        description=t(
            "invoice.description", lang, credits=pack.credits, avatars=pack.credits // cost
        ),
        payload=payments_of(context).payload_for(user_id, pack),
        currency=CURRENCY,
        prices=[LabeledPrice(t("invoice.label", lang, credits=pack.credits), pack.stars)],
        provider_token="",  # Telegram Stars: no payment provider
    )


async def on_pre_checkout(update: Update, context: BotContext) -> None:
    """Approve only our own, untampered invoice, for this payer, at today's price."""
    query = update.pre_checkout_query
    if query is None:
        return
    try:
        payments_of(context).check_checkout(
            Checkout(query.invoice_payload, query.from_user.id, query.currency, query.total_amount)
        )
    except PaymentRefused as refusal:
        log.warning("checkout refused: %s", refusal.reason, extra={"user_id": query.from_user.id})
        lang = await _quick_language(update, context)
        await query.answer(ok=False, error_message=t(f"payment.refused.{refusal.reason}", lang))
        return
    await query.answer(ok=True)


async def _quick_language(update: Update, context: BotContext) -> str:
    try:
        return await asyncio.wait_for(language(update, context), LANGUAGE_LOOKUP_SECONDS)
    except Exception:  # slow or failing database: never miss Telegram's deadline for it
        user = update.effective_user
        return language_for(user.language_code if user else None)


async def on_successful_payment(update: Update, context: BotContext) -> None:
    """Credit the pack once per Telegram charge and tell the user their new balance."""
    message = message_of(update)
    payment = message.successful_payment
    user = update.effective_user
    if payment is None or user is None:
        return
    extra = {"user_id": user.id}
    if await context.avatars.user(user.id) is None:
        await context.avatars.register(profile_of(user))  # the account must exist to be credited
    lang = await language(update, context)
    try:
        purchase = await payments_of(context).complete_purchase(
            Checkout(payment.invoice_payload, user.id, payment.currency, payment.total_amount),
            charge_id=payment.telegram_payment_charge_id,
        )
    except PaymentRefused as refusal:
        log.error(
            "paid invoice does not verify (%s): charge %s",
            refusal.reason,
            payment.telegram_payment_charge_id,
            extra=extra,
        )
        await reply(update, t("payment.problem", lang))
        return
    if not purchase.credited:
        log.info("payment update redelivered; already credited", extra=extra)
        return
    log.info("purchase credited: %d credits", purchase.credits, extra=extra)
    await reply(update, t("payment.done", lang, credits=purchase.credits, balance=purchase.balance))


async def paysupport(update: Update, context: BotContext) -> None:
    """How to get help with a payment; with text, that text goes to the admins."""
    user = update.effective_user
    lang = await language(update, context)
    text = " ".join(context.args or []).strip()
    admins = context.services.settings.admin_user_ids
    if user is None or not text or not admins:
        await reply(update, t("paysupport", lang))
        return
    for admin_id in admins:
        account = await context.avatars.user(admin_id)
        admin_lang = language_for(language_of(account) if account else None)
        request = t(
            "paysupport.request", admin_lang, name=user.full_name, user_id=user.id, text=text[:3000]
        )
        try:
            await context.bot.send_message(admin_id, request, parse_mode=ParseMode.HTML)
        except TelegramError:
            log.warning("could not pass a support request to admin %s", admin_id, exc_info=True)
    await reply(update, t("paysupport.sent", lang))


async def terms(update: Update, context: BotContext) -> None:
    """What a buyer agrees to, as Telegram asks of bots that sell digital goods."""
    lang = await language(update, context)
    await reply(update, t("terms", lang, cost=context.avatars.policy.generation_cost))
