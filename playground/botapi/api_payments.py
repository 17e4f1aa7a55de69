"""Telegram Stars payments: invoices, pre-checkout answers and refunds.

The user side of the flow (pre_checkout_query, successful_payment) lives in `FakeUser.pay`;
these handlers are what the bot calls and where Telegram's refusals are modelled.
"""

from __future__ import annotations

import time

from .api_messages import Handler, deliver
from .api_stars import record_refund
from .errors import JsonDict, bad_request
from .rules import QUERY_TOO_OLD, button_labels, check_invoice
from .state import ApiRequest, EmulatorState


async def send_invoice(st: EmulatorState, req: ApiRequest) -> JsonDict:
    chat = st.writable_chat(req.params.get("chat_id"))
    invoice = check_invoice(req.params)
    message = deliver(st, req, chat, {"invoice": invoice})
    st.invoices[(chat.chat["id"], message["message_id"])] = {
        "payload": str(req.params["payload"]),
        **invoice,
    }
    line = (
        f"bot invoice #{message['message_id']}: {invoice['title']} — "
        f"{invoice['total_amount']} {invoice['currency']}"
    )
    st.note(chat, line + button_labels(message.get("reply_markup")))
    return message


async def answer_pre_checkout_query(st: EmulatorState, req: ApiRequest) -> bool:
    """One answer within `pre_checkout_timeout`; a refusal must say why (error_message)."""
    query = st.pre_checkouts.get(str(req.params.get("pre_checkout_query_id") or ""))
    if query is None or query.answer is not None:
        raise bad_request(QUERY_TOO_OLD)
    if time.monotonic() - query.sent_at > st.pre_checkout_timeout:
        raise bad_request(QUERY_TOO_OLD)
    ok = bool(req.params.get("ok"))
    if not ok and not req.params.get("error_message"):
        raise bad_request("ERROR_MESSAGE_EMPTY")
    query.answer = {"ok": ok, "error_message": req.params.get("error_message")}
    st.signal.notify()
    return True


async def refund_star_payment(st: EmulatorState, req: ApiRequest) -> bool:
    charge_id = str(req.params.get("telegram_payment_charge_id") or "")
    charge = st.charges.get(charge_id)
    if charge is None or charge.user_id != req.params.get("user_id"):
        raise bad_request("CHARGE_NOT_FOUND")
    if charge.refunded:
        raise bad_request("CHARGE_ALREADY_REFUNDED")
    charge.refunded = True
    st.refunds.append(dict(req.params))
    record_refund(st, charge_id, charge)
    if charge.user_id in st.chats:
        line = f"bot refunds {charge.total_amount} {charge.currency} ({charge_id})"
        st.note(st.chats[charge.user_id], line)
    return True


HANDLERS: dict[str, Handler] = {
    "sendInvoice": send_invoice,
    "answerPreCheckoutQuery": answer_pre_checkout_query,
    "refundStarPayment": refund_star_payment,
}
