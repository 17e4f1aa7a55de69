"""Asking about albums once their photos stop arriving, from whichever process claims them.

No single update knows that an album is complete (Telegram sends its photos one by one), so a
short loop asks the database for albums quiet for ALBUM_QUIET_SECONDS. It runs in every
process; the claim is exclusive, and an album claimed by a process that died before asking
is claimed again (core/albums.py). Abandoned albums are removed here too, now and then.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from telegram import Bot, ReplyParameters
from telegram.error import TelegramError

from bot.keyboards import album_keyboard
from bot.texts import language_for, t
from core.albums import MAX_ALBUM_PHOTOS
from core.services.album_questions import AlbumQuestion, AlbumQuestionService
from core.task_stopping import cancel_and_wait

log = logging.getLogger(__name__)

CHECK_EVERY_SECONDS = 0.5
REMOVE_ABANDONED_EVERY_SECONDS = 600.0


class AlbumQuestions:
    def __init__(
        self,
        bot: Bot,
        albums: AlbumQuestionService,
        *,
        cost: int,
        quiet_seconds: float,
        keep_hours: float,
    ) -> None:
        self._bot = bot
        self._albums = albums
        self._cost = cost
        self._quiet = quiet_seconds
        self._keep_hours = keep_hours
        self._task: asyncio.Task[None] | None = None
        self._last_removal = -float("inf")

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="album-questions")

    async def stop(self) -> None:
        await cancel_and_wait(self._task)
        self._task = None

    async def tick(self) -> None:
        for question in await self._albums.due(quiet_seconds=self._quiet):
            await self._ask(question)
        if time.monotonic() - self._last_removal >= REMOVE_ABANDONED_EVERY_SECONDS:
            self._last_removal = time.monotonic()
            await self._albums.remove_abandoned(keep_hours=self._keep_hours)

    async def _ask(self, question: AlbumQuestion) -> None:
        lang = language_for(question.language)
        if question.stale_question_id is not None:  # the album grew after it was asked
            with contextlib.suppress(TelegramError):
                await self._bot.delete_message(question.chat_id, question.stale_question_id)
        reply = (
            ReplyParameters(question.reply_to, allow_sending_without_reply=True)
            if question.reply_to
            else None
        )
        try:
            if question.too_many:
                await self._bot.send_message(
                    question.chat_id,
                    t("album.too_many", lang, limit=MAX_ALBUM_PHOTOS),
                    reply_parameters=reply,
                )
                return
            count = question.photos
            sent = await self._bot.send_message(
                question.chat_id,
                t("album.question", lang, count=count, cost=self._cost, total=self._cost * count),
                reply_markup=album_keyboard(question.album_id, count, lang),
                reply_parameters=reply,
            )
        except TelegramError as exc:  # claimed but not asked: asked again after a while
            log.warning(
                "could not ask about an album: %s", exc, extra={"user_id": question.user_id}
            )
            return
        await self._albums.question_sent(question.album_id, sent.message_id)

    async def _loop(self) -> None:
        while True:
            try:
                await self.tick()
            except Exception:
                log.exception("album check failed")
            await asyncio.sleep(CHECK_EVERY_SECONDS)
