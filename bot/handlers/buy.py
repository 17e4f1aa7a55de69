"""/buy, the pack buttons, Telegram Stars checkout, and /paysupport and /terms.

Telegram asks for a pre-checkout answer within 10 seconds, so that handler checks the signed
payload in memory and answers; credits move only on successful_payment, keyed by the charge
id, so a redelivered update credits nothing more.
"""

from __future__ import annotations

import logging

from telegram import LabeledPrice, Update
from telegram.error import TelegramError, TimedOut

from bot.callbacks import parse
from bot.context import BotContext
from bot.handlers.common import account_of, message_of, reply
from bot.keyboards import packs_keyboard
from bot.texts import language_for, t
from core.errors import PaymentRefused
from core.payments import Checkout
from core.services.payments import Invoice

log = logging.getLogger(__name__)


async def buy(update: Update, context: BotContext) -> None:
    """The packs on offer, one button each."""
    user, chat = update.effective_user, update.effective_chat
    if user is None:
        return
    await _show_packs(context, chat.id if chat else user.id)


async def on_buy_button(update: Update, context: BotContext) -> None:
    """ "Buy credits" under a refusal, /credits or a failure: the same as /buy."""
    query = update.callback_query
    if query is None:
        return
    await query.answer()
    await _show_packs(context, query.message.chat.id if query.message else query.from_user.id)


async def _show_packs(context: BotContext, chat_id: int) -> None:
    lang = context.lang
    balance = context.account.balance if context.account else 0
    cost = context.accounts.pricing.generation_cost
    await context.bot.send_message(
        chat_id,
        t("buy.choose", lang, credits=balance, cost=cost),
        reply_markup=packs_keyboard(context.payments.packs(), lang),
    )


async def on_pack_button(update: Update, context: BotContext) -> None:
    """A pack was chosen: send its invoice, signed for the user who pressed."""
    query = update.callback_query
    if query is None:
        return
    callback = parse(query.data)
    invoice = context.payments.invoice(query.from_user.id, callback.value) if callback else None
    if invoice is None:
        await query.answer(t("callback.stale", context.lang), show_alert=True)
        return
    await query.answer()
    chat_id = query.message.chat.id if query.message else query.from_user.id
    await send_invoice(context, chat_id, invoice)


async def send_invoice(context: BotContext, chat_id: int, invoice: Invoice) -> None:
    lang, pack = context.lang, invoice.pack
    await context.bot.send_invoice(
        chat_id=chat_id,
        title=t("invoice.title", lang, credits=pack.credits),
        description=t("invoice.description", lang, credits=pack.credits, avatars=pack.avatars),
        payload=invoice.payload,
        currency=invoice.currency,
        prices=[LabeledPrice(t("invoice.label", lang, credits=pack.credits), pack.stars)],
        # Telegram Stars: no provider token (Defaults would send an empty one as "[]")
    )


async def on_pre_checkout(update: Update, context: BotContext) -> None:
    """Approve only our own, untampered invoice, for this payer, at today's price."""
    query = update.pre_checkout_query
    if query is None:
        return
    checkout = Checkout(
        payload=query.invoice_payload,
        payer_id=query.from_user.id,
        currency=query.currency,
        amount=query.total_amount,
    )
    try:
        context.payments.check_checkout(checkout)
    except PaymentRefused as refusal:
        log.warning("checkout refused: %s", refusal.reason, extra={"user_id": query.from_user.id})
        text = t(f"payment.refused.{refusal.reason}", context.lang)
        await query.answer(ok=False, error_message=text)
        return
    await query.answer(ok=True)


async def on_successful_payment(update: Update, context: BotContext) -> None:
    """Store the payment, credit it (retrying), and only then say "payment received".

    Nothing before the store can fail but the signature check; if crediting stays impossible
    through the retries, the user hears the credits are on their way and reconciliation
    credits them and tells them.
    """
    message = message_of(update)
    paid = message.successful_payment
    if paid is None:
        return
    user_id, lang = account_of(context).user_id, context.lang
    stars = context.stars
    charge_id = paid.telegram_payment_charge_id
    checkout = Checkout(
        payload=paid.invoice_payload,
        payer_id=user_id,
        currency=paid.currency,
        amount=paid.total_amount,
    )
    try:
        received = stars.received(checkout, charge_id=charge_id)
    except PaymentRefused as refusal:
        log.error(
            "paid invoice does not verify (%s): charge %s",
            refusal.reason,
            charge_id,
            extra={"user_id": user_id},
        )
        await reply(update, t("payment.problem", lang))
        return
    purchase = await stars.receive(received)
    if purchase is None:
        await reply(update, t("payment.pending", lang))
        return
    if not purchase.credited:
        log.info("payment update redelivered; already credited: charge %s", charge_id)
        return
    try:
        await reply(
            update, t("payment.done", lang, credits=purchase.credits, balance=purchase.balance)
        )
    except TimedOut:  # it may have arrived: never say it twice
        await stars.told(charge_id)
        raise
    await stars.told(charge_id)  # a send that surely failed is retried by reconciliation


async def on_refunded_payment(update: Update, context: BotContext) -> None:
    """Telegram refunded a payment itself: take the pack back (once) and tell the user."""
    message = message_of(update)
    refunded = message.refunded_payment
    if refunded is None:
        return
    user_id, lang = account_of(context).user_id, context.lang
    stars = context.stars
    charge_id = refunded.telegram_payment_charge_id
    log.info("Telegram refunded charge %s", charge_id, extra={"user_id": user_id})
    try:
        received = stars.from_history(
            charge_id=charge_id,
            payer_id=user_id,
            payload=refunded.invoice_payload,
            stars=refunded.total_amount,
        )
    except PaymentRefused:
        log.error("refunded payment %s is not one of our invoices", charge_id)
        return
    done = await stars.refund(received)  # raises after its retries: reconciliation applies it
    if done is None:
        log.info("refund of %s was applied already", charge_id, extra={"user_id": user_id})
        return
    notice = {"stars": done.stars, "taken": done.taken, "credits": done.balance}
    await reply(update, t("payment.refunded", lang, **notice))


async def paysupport(update: Update, context: BotContext) -> None:
    """How to get help with a payment; with text, that text goes to the admins."""
    user, lang = update.effective_user, context.lang
    text = " ".join(context.args or []).strip()
    admins = context.admin.admin_ids
    if user is None or not text or not admins:
        await reply(update, t("paysupport", lang))
        return
    for admin_id in admins:
        admin_lang = language_for(await context.accounts.language_of(admin_id))
        request = t(
            "paysupport.request", admin_lang, name=user.full_name, user_id=user.id, text=text[:3000]
        )
        try:
            await context.bot.send_message(admin_id, request)
        except TelegramError:
            log.warning("could not pass a support request to admin %s", admin_id, exc_info=True)
    await reply(update, t("paysupport.sent", lang))


async def terms(update: Update, context: BotContext) -> None:
    """What a buyer agrees to, as Telegram asks of bots that sell digital goods."""
    cost = context.accounts.pricing.generation_cost
    await reply(update, t("terms", context.lang, cost=cost))
