"""/refund <charge id> for admins: a preview first, the irreversible call only on Confirm.

Telegram's refundStarPayment cannot be undone, and when the buyer has already spent the
pack only part of it can be taken back (docs/product.md §2). So /refund shows what would
happen — Stars returned, credits taken back, the shortfall — with [Confirm refund] [Cancel];
Confirm is checked for an admin again (anyone can forge a press), reads the payment again,
and a second Confirm finds it refunded (or Telegram answers CHARGE_ALREADY_REFUNDED), so the
Stars and the credits move once.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import asdict

from telegram import Message, Update
from telegram.error import BadRequest, TelegramError

from bot.admin_args import refund_args
from bot.callbacks import Action
from bot.context import BotContext
from bot.handlers.admin import admin_only, tell_user
from bot.handlers.common import button_press, reply
from bot.keyboards import refund_keyboard
from bot.texts import Html, t
from core.services.payments import RefundPreview

log = logging.getLogger(__name__)

_ALREADY_REFUNDED = "CHARGE_ALREADY_REFUNDED"


@admin_only
async def refund(update: Update, context: BotContext) -> None:
    """/refund <charge id>: the preview and its buttons; nothing moves yet."""
    lang = context.lang
    charge_id = refund_args(context.args or [])
    if charge_id is None:
        await reply(update, t("admin.refund_usage", lang))
        return
    preview = await context.payments.preview_refund(charge_id)
    if preview is None:
        await reply(update, t("admin.no_payment", lang, charge_id=charge_id))
        return
    if preview.refunded:
        await reply(update, t("admin.refund_repeated", lang, charge_id=charge_id))
        return
    text = preview_text(preview, lang)
    await reply(update, text, reply_markup=refund_keyboard(preview.payment_id, lang))


def preview_text(preview: RefundPreview, lang: str) -> str:
    shortfall = (
        t("admin.refund_shortfall", lang, shortfall=preview.shortfall) if preview.shortfall else ""
    )
    return t("admin.refund_preview", lang, **asdict(preview), shortfall_line=Html(shortfall))


async def on_refund_button(update: Update, context: BotContext) -> None:
    """[Confirm refund] or [Cancel] under a preview; only an admin's press does anything."""
    press = await button_press(update, context)
    if press is None:
        return
    query, lang = press.query, press.lang
    if not context.admin.is_admin(press.user_id) or not press.callback.value.isascii():
        await query.answer(t("callback.stale", lang), show_alert=True)
        return
    await query.answer()  # the refund call may take a while; the spinner should not
    preview = await context.payments.preview_refund(payment_id=int(press.callback.value))
    if preview is None or preview.refunded:
        return  # a second press: the message already shows what the first one did
    charge_id = preview.charge_id
    if press.callback.action is Action.REFUND_CANCEL:
        await _show(press.message, t("admin.refund_cancelled", lang, charge_id=charge_id))
    else:
        await _confirm(context, press.message, preview, lang)


async def _confirm(
    context: BotContext, message: Message, preview: RefundPreview, lang: str
) -> None:
    charge_id = preview.charge_id
    try:
        await context.bot.refund_star_payment(preview.user_id, charge_id)
    except BadRequest as exc:
        if _ALREADY_REFUNDED not in exc.message.upper():
            await _show(message, t("admin.refund_failed", lang, error=exc.message))
            return
        log.info("Telegram had refunded %s already; taking the credits back", charge_id)
    except TelegramError as exc:
        await _show(message, t("admin.refund_failed", lang, error=exc.message))
        return
    done = await context.payments.record_refund(charge_id)
    if done is None:  # a concurrent Confirm got there first and shows the outcome
        return
    log.info("payment refunded; %d credits taken back", done.taken, extra={"user_id": done.user_id})
    text = t("admin.refund_done", lang, charge_id=charge_id, **asdict(done))
    if done.shortfall:
        text += "\n" + t("admin.refund_done_shortfall", lang, shortfall=done.shortfall)
    await _show(message, text)
    notice = {"stars": done.stars, "taken": done.taken, "credits": done.balance}
    buyer_lang = await context.accounts.language_of(done.user_id)
    await tell_user(context, done.user_id, buyer_lang, "payment.refunded", **notice)


async def _show(message: Message, text: str) -> None:
    """The preview message becomes the outcome (its buttons go)."""
    with contextlib.suppress(BadRequest):  # "message is not modified" on a repeated press
        await message.edit_text(text)
