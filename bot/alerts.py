"""Tells the admins when the image provider is out of credits (OpenRouter's 402).

Every photo fails with 402 until an operator tops up, so the alert goes out once per incident,
not once per failure; the incident ends when a generation completes again. The state is per
process: with several worker processes each may alert once, which is what an operator wants.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence

from telegram import Bot
from telegram.constants import ParseMode
from telegram.error import TelegramError

from bot.texts import language_for, t
from core.events import JobEvents
from core.models import Generation, User
from core.users import language_of

log = logging.getLogger(__name__)

OUT_OF_CREDITS = "model_out_of_credits"

AccountLookup = Callable[[int], Awaitable[User | None]]


class AdminAlerts(JobEvents):
    """A JobEvents observer; hooks are sync, so sends are scheduled as tasks (kept referenced)."""

    def __init__(self, bot: Bot, admin_ids: Sequence[int]) -> None:
        self._bot = bot
        self._admin_ids = tuple(admin_ids)
        self._incident_open = False
        self._accounts: AccountLookup | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    def use_accounts(self, lookup: AccountLookup) -> None:
        """Where to find each admin's language (the services open after this observer)."""
        self._accounts = lookup

    def completed(self, generation: Generation) -> None:
        self._incident_open = False

    def failed(self, generation: Generation, error_code: str, refunded: bool) -> None:
        if error_code != OUT_OF_CREDITS or self._incident_open or not self._admin_ids:
            return
        self._incident_open = True
        log.error(
            "image provider out of credits; alerting admins",
            extra={"generation_id": generation.id, "user_id": generation.user_id},
        )
        task = asyncio.get_running_loop().create_task(self._alert())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        """Wait for alerts still being sent (tests, shutdown)."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _alert(self) -> None:
        for admin_id in self._admin_ids:
            try:
                lang = await self._language(admin_id)
                await self._bot.send_message(
                    admin_id, t("admin.alert_out_of_credits", lang), parse_mode=ParseMode.HTML
                )
            except TelegramError:
                log.warning("could not alert admin %s", admin_id, exc_info=True)

    async def _language(self, admin_id: int) -> str:
        if self._accounts is None:
            return language_for(None)
        try:
            account = await self._accounts(admin_id)
        except Exception:  # the alert matters more than its language
            log.debug("admin language lookup failed", exc_info=True)
            return language_for(None)
        return language_for(language_of(account) if account else None)
