"""Telegram and OpenRouter, faked: the Bot API emulator and the OpenRouter fake (tests/fakes).

They run in the benchmark's own process and event loop, so the "Telegram + OpenRouter" side's
CPU never lands on the bot's event loop, and every timestamp (update queued, request received)
is taken in this process on one monotonic clock.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

from playground.botapi import BotApiEmulator
from tests.e2e.harness import OPENROUTER_KEY, TOKEN
from tests.fakes.openrouter import OpenRouterFake


@dataclass
class Fakes:
    emu: BotApiEmulator
    model: OpenRouterFake


@contextlib.asynccontextmanager
async def fakes(
    *, model_latency: float = 0.0, result_image: bytes | None = None
) -> AsyncIterator[Fakes]:
    async with (
        BotApiEmulator(token=TOKEN, bot_username="aivenger_bench_bot") as emu,
        OpenRouterFake(api_key=OPENROUTER_KEY) as model,
    ):
        model.latency = model_latency
        if result_image is not None:
            model.result_image = result_image
        yield Fakes(emu, model)
