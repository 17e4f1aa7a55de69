"""'⏳ In line: 4th…' on the status message of each waiting job, refreshed every few seconds.

Cosmetic traffic (product.md §10, §12): a tick is skipped while the send budget is saturated
and stops as soon as it becomes so; an edit that fails is not retried. One query per tick
gives every waiting job its place (core/queue_order.py); only places that changed since this
process last showed them are edited, and a job that started running goes back to "Creating".
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from telegram.error import TelegramError
from telegram.ext import ExtBot

from bot.ratelimit import COSMETIC_SEND, PriorityRateLimiter
from bot.texts import language_for, t
from core.queue_order import PlaceInLine
from core.services.queue import QueueService
from core.task_stopping import cancel_and_wait

log = logging.getLogger(__name__)

_SUFFIXES = {1: "st", 2: "nd", 3: "rd"}


def ordinal(place: int, lang: str) -> str:
    if lang == "ru":
        return f"{place}-й"
    suffix = "th" if 10 <= place % 100 <= 20 else _SUFFIXES.get(place % 10, "th")
    return f"{place}{suffix}"


class QueuePlaces:
    def __init__(self, bot: ExtBot[Any], queue: QueueService, *, interval: float) -> None:
        self._bot = bot
        self._queue = queue
        self._interval = interval
        self._shown: dict[str, int] = {}  # generation id → place on its status message
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="queue-places")

    async def stop(self) -> None:
        await cancel_and_wait(self._task)
        self._task = None

    @property
    def _saturated(self) -> bool:
        limiter = self._bot.rate_limiter
        return isinstance(limiter, PriorityRateLimiter) and limiter.saturated

    async def tick(self) -> None:
        if self._saturated:
            return
        lines = [line for line in await self._queue.places() if line.status_message_id]
        current = {line.generation_id for line in lines}
        self._shown = {gen: place for gen, place in self._shown.items() if gen in current}
        for line in lines:
            shown = self._shown.get(line.generation_id)
            if shown == line.place or (shown is None and line.place == 0):
                continue
            if self._saturated:
                return
            await self._show(line)

    async def _show(self, line: PlaceInLine) -> None:
        assert line.status_message_id is not None
        lang = language_for(line.language)
        text = (
            t("photo.in_line", lang, place=ordinal(line.place, lang))
            if line.place
            else t("photo.working", lang)
        )
        self._shown[line.generation_id] = line.place
        try:
            await self._bot.edit_message_text(
                text,
                chat_id=line.chat_id,
                message_id=line.status_message_id,
                rate_limit_args=COSMETIC_SEND,
            )
        except TelegramError as exc:  # finished meanwhile, or not modified: nothing to do
            log.debug("queue place not shown: %s", exc)

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            try:
                await self.tick()
            except Exception:
                log.exception("queue places refresh failed")
