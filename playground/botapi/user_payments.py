"""The payer's side of Telegram Stars checkout, mixed into `FakeUser`.

Telegram asks the bot to confirm every checkout (pre_checkout_query, answered within 10 s)
and only then charges and reports `successful_payment`; bots must grant goods on the latter.
"""

from __future__ import annotations

import copy
import secrets
import time

from .api_stars import record_payment, record_refund
from .errors import JsonDict
from .state import Charge, ChatState, EmulatorState, QueryState

_UNANSWERED = "the bot did not answer the pre-checkout query in time"


class UserPayments:
    """Needs the attributes and `_post` that `FakeUser` provides."""

    _st: EmulatorState
    _chat: ChatState
    id: int
    user: JsonDict
    last_payment: JsonDict | None

    def _post(self, content: JsonDict, line: str, reply_to: JsonDict | None = None) -> JsonDict:
        raise NotImplementedError

    async def pay(
        self, invoice_message: JsonDict, timeout: float | None = None
    ) -> tuple[bool, str | None]:
        """Telegram's Stars checkout: pre_checkout_query, then successful_payment if approved.

        Waits `timeout` (default: `emu.pre_checkout_timeout`, 10 s as in Telegram) for the
        bot's answerPreCheckoutQuery; returns (ok, error message shown to the user).
        """
        invoice = self._st.invoices.get(
            (invoice_message["chat"]["id"], invoice_message["message_id"])
        )
        if invoice is None:
            raise ValueError("not an invoice the bot sent")
        query_id = str(secrets.randbits(63))
        query = QueryState(query_id, self.id, time.monotonic())
        self._st.pre_checkouts[query_id] = query
        amount = f"{invoice['total_amount']} {invoice['currency']}"
        self._st.note(self._chat, f"user pays {amount} for #{invoice_message['message_id']}")
        self._chat.action_seq = self._st.seq
        self._st.updates.push(
            "pre_checkout_query",
            {
                "id": query_id,
                "from": copy.deepcopy(self.user),
                "currency": invoice["currency"],
                "total_amount": invoice["total_amount"],
                "invoice_payload": invoice["payload"],
            },
        )
        wait = self._st.pre_checkout_timeout if timeout is None else timeout
        answer = await self._st.signal.wait_for(lambda: query.answer, wait)
        if answer is None:
            self._st.note(self._chat, f"payment fails: {_UNANSWERED}")
            return False, _UNANSWERED
        if not answer["ok"]:
            self._st.note(self._chat, f"bot declines payment: {answer['error_message']}")
            return False, str(answer["error_message"])
        charge_id = f"stxTEST{secrets.token_hex(12)}"
        await self.send_successful_payment(
            invoice["payload"], invoice["total_amount"], charge_id, invoice["currency"]
        )
        return True, None

    async def send_successful_payment(
        self,
        payload: str,
        total_amount: int,
        charge_id: str,
        currency: str = "XTR",
        *,
        deliver: bool = True,
    ) -> JsonDict:
        """A raw successful_payment message, e.g. to replay one the bot already processed.

        A new charge id also enters the bot's Stars history (getStarTransactions);
        `deliver=False` charges without the bot ever getting the update (only reconciling
        with getStarTransactions can find it), and returns the message it would have been.
        """
        if charge_id not in self._st.charges:
            charge = Charge(self.id, currency, total_amount, payload=payload)
            self._st.charges[charge_id] = charge
            record_payment(self._st, charge_id, charge)
        payment = {
            "currency": currency,
            "total_amount": total_amount,
            "invoice_payload": payload,
            "telegram_payment_charge_id": charge_id,
            "provider_payment_charge_id": "",
        }
        line = f"user paid {total_amount} {currency} ({charge_id})"
        if not deliver:
            self._st.note(self._chat, line + " (the update never reaches the bot)")
            return {"successful_payment": payment}
        self.last_payment = self._post({"successful_payment": payment}, line)
        return self.last_payment

    async def refund_by_telegram(self, charge_id: str) -> JsonDict:
        """Telegram refunds a payment on its own (a dispute, support): the Stars go back, a
        `refunded_payment` service message reaches the bot, the history gets a `receiver`."""
        charge = self._st.charges.get(charge_id)
        if charge is None or charge.user_id != self.id:
            raise ValueError(f"{charge_id} is not a charge of user {self.id}")
        if charge.refunded:
            raise ValueError(f"{charge_id} was already refunded")
        charge.refunded = True
        record_refund(self._st, charge_id, charge)
        refunded = {
            "currency": charge.currency,
            "total_amount": charge.total_amount,
            "invoice_payload": charge.payload,
            "telegram_payment_charge_id": charge_id,
        }
        line = f"Telegram refunds {charge.total_amount} {charge.currency} ({charge_id})"
        return self._post({"refunded_payment": refunded}, line)
