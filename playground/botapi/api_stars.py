"""The bot's Telegram Stars history: getStarTransactions, fed by payments and refunds.

Wire format as in the Bot API: `StarTransactions{transactions: [StarTransaction]}`, each
`{id, amount, date, source | receiver}` where the partner is a `TransactionPartnerUser`
`{type: "user", transaction_type: "invoice_payment", user, invoice_payload}`. An incoming
payment has `source` and the id of its `telegram_payment_charge_id`; a refund (by the bot's
refundStarPayment or by Telegram itself) has `receiver` and the same id. Newest first;
`offset` skips that many, `limit` is 1..100 (default 100).
"""

from __future__ import annotations

import copy
import time

from .api_messages import Handler
from .errors import JsonDict, bad_request
from .state import ApiRequest, Charge, EmulatorState


def _partner(st: EmulatorState, charge: Charge) -> JsonDict:
    chat = st.chats.get(charge.user_id)
    user = {"id": charge.user_id, "is_bot": False, "first_name": f"User{charge.user_id}"}
    if chat is not None:
        user["first_name"] = chat.chat.get("first_name", user["first_name"])
    partner: JsonDict = {"type": "user", "transaction_type": "invoice_payment", "user": user}
    if charge.payload:
        partner["invoice_payload"] = charge.payload
    return partner


def record_payment(st: EmulatorState, charge_id: str, charge: Charge) -> None:
    """A Stars payment from a user to the bot (only XTR payments are Stars transactions)."""
    if charge.currency == "XTR":
        st.star_transactions.append(
            {
                "id": charge_id,
                "amount": charge.total_amount,
                "date": int(time.time()),
                "source": _partner(st, charge),
            }
        )


def record_refund(st: EmulatorState, charge_id: str, charge: Charge) -> None:
    if charge.currency == "XTR":
        st.star_transactions.append(
            {
                "id": charge_id,
                "amount": charge.total_amount,
                "date": int(time.time()),
                "receiver": _partner(st, charge),
            }
        )


async def get_star_transactions(st: EmulatorState, req: ApiRequest) -> JsonDict:
    offset = int(req.params.get("offset") or 0)
    limit = int(req.params.get("limit") or 100)
    if offset < 0:
        raise bad_request("offset must be non-negative")
    if not 1 <= limit <= 100:
        raise bad_request("limit must be between 1 and 100")
    newest_first = list(reversed(st.star_transactions))
    return {"transactions": copy.deepcopy(newest_first[offset : offset + limit])}


HANDLERS: dict[str, Handler] = {"getStarTransactions": get_star_transactions}
