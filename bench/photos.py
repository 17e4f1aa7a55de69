"""Photos in, avatars out: when the emulator received the bot's sendPhoto, and round trips."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from bench.output import JsonDict
from playground.botapi import BotApiEmulator, FakeUser


def is_photo(message: JsonDict) -> bool:
    return bool(message.get("photo"))


def photo_after(message_id: int) -> Any:
    """Predicate: a photo the bot sent after this message (AIVenger's avatar or the floor's)."""
    return lambda m: is_photo(m) and m["message_id"] > message_id


def sent_photo_arrivals(emu: BotApiEmulator) -> dict[tuple[int, int], float]:
    """(chat_id, message_id) → when the emulator received the successful sendPhoto."""
    found: dict[tuple[int, int], float] = {}
    for call in emu.calls("sendPhoto"):
        result = call.response.get("result") if call.response.get("ok") else None
        if isinstance(result, dict):
            found[(int(result["chat"]["id"]), int(result["message_id"]))] = call.at
    return found


async def arrival_of(emu: BotApiEmulator, chat_id: int, message_id: int) -> float:
    for _ in range(1000):
        for call in reversed(emu.calls("sendPhoto")):
            result = call.response.get("result") if call.response.get("ok") else None
            if (
                isinstance(result, dict)
                and result["message_id"] == message_id
                and result["chat"]["id"] == chat_id
            ):
                return call.at
        await asyncio.sleep(0.001)  # the response is recorded right after the message
    raise LookupError(f"no sendPhoto produced message {message_id} in chat {chat_id}")


async def photo_round_trip(
    emu: BotApiEmulator, user: FakeUser, photo: bytes, *, within: float = 60.0
) -> float:
    """Seconds from the photo update being queued to the emulator receiving the photo back."""
    sent = await user.send_photo(photo)
    queued = time.monotonic()  # send_photo queues the update without yielding to the loop
    reply = await user.wait_for(photo_after(sent["message_id"]), within)
    return await arrival_of(emu, user.chat_id, reply["message_id"]) - queued
