"""BroadcastSender over the Bot API: copyMessage per recipient, progress edits, the totals.

403 means the user blocked the bot; 429 (after the send budget's own retries) means wait.
Copies go through the bot's rate limiter at its lowest priority (bot/ratelimit.py), so
avatars and answers always go first.
"""

from __future__ import annotations

import logging

from telegram import Bot
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError

from bot.ratelimit import retry_after_seconds
from bot.texts import language_for, t
from core.broadcasts import BroadcastReport
from core.errors import DeliveryError, RecipientBlocked, SendFlood

log = logging.getLogger(__name__)


class TelegramBroadcastSender:
    def __init__(self, bot: Bot) -> None:
        self._bot = bot

    async def copy(self, *, chat_id: int, from_chat_id: int, message_id: int) -> None:
        try:
            await self._bot.copy_message(chat_id, from_chat_id, message_id)
        except Forbidden as exc:
            raise RecipientBlocked(str(exc)) from exc
        except RetryAfter as exc:
            raise SendFlood(retry_after_seconds(exc)) from exc
        except BadRequest as exc:  # chat not found, user deactivated…: this one cannot work
            raise DeliveryError(str(exc), permanent=True) from exc
        except TelegramError as exc:
            raise DeliveryError(str(exc)) from exc

    async def progress(self, report: BroadcastReport) -> None:
        await self._show(report, "broadcast.progress")

    async def finished(self, report: BroadcastReport) -> None:
        await self._show(report, "broadcast.finished", new_message=True)

    async def _show(self, report: BroadcastReport, key: str, *, new_message: bool = False) -> None:
        text = report_text(report, key)
        if report.progress_message_id is not None:
            try:
                await self._bot.edit_message_text(
                    text,
                    chat_id=report.admin_id,
                    message_id=report.progress_message_id,
                    parse_mode=ParseMode.HTML,
                )
            except TelegramError:
                log.debug("broadcast progress message not edited", exc_info=True)
        if new_message:
            await self._bot.send_message(report.admin_id, text, parse_mode=ParseMode.HTML)


def report_text(report: BroadcastReport, key: str) -> str:
    return t(
        key,
        language_for(report.admin_language),
        done=report.done,
        total=report.total,
        sent=report.sent,
        blocked=report.blocked,
        failed=report.failed,
    )
