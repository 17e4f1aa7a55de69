"""StickerStudio over the Bot API: the user's pack named `aiv_<user id>[_<n>]_by_<bot>`.

Telegram's refusals become typed errors (core/errors.py) the handler explains; the new
sticker's file_id is read back with getStickerSet (the create/add calls return only True).
"""

from __future__ import annotations

from telegram import Bot, InputSticker
from telegram.constants import StickerFormat
from telegram.error import BadRequest, RetryAfter, TelegramError

from bot.ratelimit import retry_after_seconds
from core.errors import (
    StickerFlood,
    StickerNameTaken,
    StickerPackFull,
    StickerRefused,
    StickerSetGone,
)

EMOJI = "🦸"


class TelegramStickerStudio:
    def __init__(self, bot: Bot) -> None:
        self._bot = bot

    def pack_name(self, user_id: int, number: int) -> str:
        middle = f"{user_id}" if number <= 1 else f"{user_id}_{number}"
        return f"aiv_{middle}_by_{self._bot.username}"

    async def create_pack(self, *, user_id: int, name: str, title: str, image: bytes) -> str:
        sticker = InputSticker(image, [EMOJI], StickerFormat.STATIC)
        try:
            await self._bot.create_new_sticker_set(user_id, name, title[:64], [sticker])
        except TelegramError as exc:
            raise _refusal(exc) from exc
        return await self._newest(name)

    async def add_to_pack(self, *, user_id: int, name: str, image: bytes) -> str:
        sticker = InputSticker(image, [EMOJI], StickerFormat.STATIC)
        try:
            await self._bot.add_sticker_to_set(user_id, name, sticker)
        except TelegramError as exc:
            raise _refusal(exc) from exc
        return await self._newest(name)

    async def _newest(self, name: str) -> str:
        try:
            sticker_set = await self._bot.get_sticker_set(name)
        except TelegramError as exc:
            raise _refusal(exc) from exc
        return sticker_set.stickers[-1].file_id


def _refusal(exc: TelegramError) -> StickerRefused:
    if isinstance(exc, RetryAfter):
        return StickerFlood(retry_after_seconds(exc))
    text = exc.message.lower()
    if isinstance(exc, BadRequest):
        if "stickers_too_much" in text:
            return StickerPackFull(exc.message)
        if "stickerset_invalid" in text:
            return StickerSetGone(exc.message)
        if "occupied" in text or "name invalid" in text:
            return StickerNameTaken(exc.message)
    return StickerRefused(exc.message)
