"""The bot's own periodic work besides the worker pool: album questions and queue places.

Both run in every process (their claims and edits are safe to repeat) and stop before the
worker pool does, while the bot can still send.
"""

from __future__ import annotations

from typing import Any, Protocol

from telegram.ext import ExtBot

from bot.album_questions import AlbumQuestions
from bot.queue_places import QueuePlaces
from core.features import Features
from core.settings import Settings


class Loop(Protocol):
    def start(self) -> None: ...

    async def stop(self) -> None: ...


def start_loops(bot: ExtBot[Any], settings: Settings, features: Features) -> list[Loop]:
    loops: list[Loop] = [
        AlbumQuestions(
            bot,
            features.album_questions,
            cost=settings.generation_cost,
            quiet_seconds=settings.album_quiet_seconds,
            keep_hours=settings.album_keep_hours,
        ),
        QueuePlaces(bot, features.queue, interval=settings.queue_position_seconds),
    ]
    for loop in loops:
        loop.start()
    return loops


async def stop_loops(loops: list[Loop]) -> None:
    for loop in loops:
        await loop.stop()
