"""Tells the admins about image-model failures only an operator can fix.

OpenRouter out of credits (402), or every model of the chain gone (404, an unknown model id):
every photo fails until an operator tops up or configures another model, so each kind alerts
once per incident, not once per failure; an incident ends when a generation completes again.
The state is per process: with several worker processes each may alert once, which is what an
operator wants.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence

from telegram import Bot
from telegram.error import TelegramError

from bot.texts import language_for, t
from core.events import JobEvents, JobSummary

log = logging.getLogger(__name__)

OUT_OF_CREDITS = "model_out_of_credits"
MODEL_GONE = "model_gone"
# Error code → the alert text; the text takes the provider's `detail` (e.g. which model).
OPERATOR_PROBLEMS = {
    OUT_OF_CREDITS: "admin.alert_out_of_credits",
    MODEL_GONE: "admin.alert_model_gone",
}

LanguageLookup = Callable[[int], Awaitable[str | None]]


class AdminAlerts(JobEvents):
    """A JobEvents observer; hooks are sync, so sends are scheduled as tasks (kept referenced)."""

    def __init__(self, bot: Bot, admin_ids: Sequence[int]) -> None:
        self._bot = bot
        self._admin_ids = tuple(admin_ids)
        self._open_incidents: set[str] = set()
        self._languages: LanguageLookup | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    def use_accounts(self, lookup: LanguageLookup) -> None:
        """Where to find each admin's language (the services open after this observer)."""
        self._languages = lookup

    def completed(self, job: JobSummary) -> None:
        self._open_incidents.clear()

    def failed(self, job: JobSummary, error_code: str, refunded: bool) -> None:
        if error_code not in OPERATOR_PROBLEMS or error_code in self._open_incidents:
            return  # not an operator problem, or this incident was already reported
        if not self._admin_ids:
            return
        self._open_incidents.add(error_code)
        detail = (job.error_message or error_code)[:300]
        log.error(
            "image model needs an operator (%s): %s; alerting admins",
            error_code,
            detail,
            extra={"generation_id": job.generation_id, "user_id": job.user_id},
        )
        task = asyncio.get_running_loop().create_task(self._alert(error_code, detail))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        """Wait for alerts still being sent (tests, shutdown)."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _alert(self, error_code: str, detail: str) -> None:
        key = OPERATOR_PROBLEMS[error_code]
        for admin_id in self._admin_ids:
            try:
                lang = await self._language(admin_id)
                text = t(key, lang, detail=detail)  # t() escapes it
                await self._bot.send_message(admin_id, text)
            except TelegramError:
                log.warning("could not alert admin %s", admin_id, exc_info=True)

    async def _language(self, admin_id: int) -> str:
        if self._languages is None:
            return language_for(None)
        try:
            return language_for(await self._languages(admin_id))
        except Exception:  # the alert matters more than its language
            log.debug("admin language lookup failed", exc_info=True)
            return language_for(None)
