"""The Telegram side of Stars reconciliation: the history as the core sees it, telling buyers,
and the loop that reconciles at start-up and every `stars_reconcile_interval_seconds`.

It runs once per process (started in post_init next to the worker pool, in every role); any
number of processes may run it at once, since each step is keyed by charge id in the database.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Bot, TransactionPartnerUser
from telegram import StarTransaction as TelegramStarTransaction
from telegram.constants import ParseMode
from telegram.error import Forbidden, TimedOut

from bot.texts import language_for, t
from core.payments import Purchase, Refund
from core.star_payments import StarPayments
from core.star_reconciliation import HistoryPage, StarReconciler, StarTransaction
from core.task_stopping import cancel_and_wait

log = logging.getLogger(__name__)

INVOICE_PAYMENT = "invoice_payment"
LanguageOf = Callable[[int], Awaitable[str | None]]  # a user's language, as the accounts know it


def from_telegram(txn: TelegramStarTransaction) -> StarTransaction | None:
    """An invoice payment from a user or its refund; None for anything else (ads, gifts…)."""
    partner, incoming = (txn.source, True) if txn.source is not None else (txn.receiver, False)
    if not isinstance(partner, TransactionPartnerUser):
        return None
    if partner.transaction_type != INVOICE_PAYMENT or not partner.invoice_payload:
        return None
    return StarTransaction(
        charge_id=txn.id,
        user_id=partner.user.id,
        payload=partner.invoice_payload,
        stars=txn.amount,
        incoming=incoming,
    )


class BuyerNotices:
    """Best effort: the credit or refund stands even if the user blocked the bot."""

    def __init__(self, bot: Bot, language_of: LanguageOf) -> None:
        self._bot = bot
        self._language_of = language_of

    async def credited(self, user_id: int, purchase: Purchase) -> bool:
        fields = {"credits": purchase.credits, "balance": purchase.balance}
        return await self._send(user_id, "payment.done", fields)

    async def refunded(self, refund: Refund) -> None:
        fields = {"stars": refund.stars, "taken": refund.taken, "credits": refund.balance}
        await self._send(refund.user_id, "payment.refunded", fields)

    async def _send(self, user_id: int, key: str, fields: Mapping[str, object]) -> bool:
        """False only when the message surely did not go out (worth another try later)."""
        try:
            lang = language_for(await self._language_of(user_id))
            await self._bot.send_message(user_id, t(key, lang, **fields), parse_mode=ParseMode.HTML)
        except (TimedOut, Forbidden):
            log.info("the buyer may not have been told", exc_info=True, extra={"user_id": user_id})
        except Exception:
            log.info("could not tell the buyer", exc_info=True, extra={"user_id": user_id})
            return False
        return True


class StarsSync:
    def __init__(
        self,
        bot: Bot,
        *,
        sessions: async_sessionmaker[AsyncSession],
        payments: StarPayments,
        language_of: LanguageOf,
        interval: float,
    ) -> None:
        notices = BuyerNotices(bot, language_of)
        self._bot = bot
        self.reconciler = StarReconciler(
            sessions=sessions,
            payments=payments,
            fetch_page=self._page,
            tell_credited=notices.credited,
            tell_refunded=notices.refunded,
        )
        self._interval = interval
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="stars-reconciliation")

    async def stop(self) -> None:
        await cancel_and_wait(self._task)
        self._task = None

    async def _loop(self) -> None:
        while True:
            try:
                await self.reconciler.reconcile()
            except Exception:
                log.warning("Stars reconciliation failed; next try in %.0f s", self._interval)
            await asyncio.sleep(self._interval)

    async def _page(self, offset: int, limit: int) -> HistoryPage:
        page = await self._bot.get_star_transactions(offset=offset, limit=limit)
        found = (from_telegram(txn) for txn in page.transactions)
        return HistoryPage(
            transactions=[txn for txn in found if txn is not None], size=len(page.transactions)
        )
