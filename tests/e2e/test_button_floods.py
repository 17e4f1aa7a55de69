"""Presses are rate-limited like messages (docs/product.md): one user's button flood gets one
notice as a callback answer, spends nothing of the send budget, and never slows anyone else."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from tests.db_fixtures import sqlite_url
from tests.e2e.harness import bot_world, buttons, text_of

PRESSES = 300
GENEROUS_SECONDS = 3.0  # the benchmark's target is 1 s (bench/flood.py); this is a bound


async def test_a_300_press_flood_gets_one_notice_and_anothers_help_is_answered_meanwhile(
    tmp_path: Path,
) -> None:
    async with bot_world(await sqlite_url(tmp_path), tmp_path) as world:
        mallory, ada = await world.started_user(1), await world.started_user(2)
        await mallory.send_text("/credits")
        credits = await mallory.wait_for(lambda m: "b:" in buttons(m).values())
        sends_before = len(world.emu.calls("sendMessage"))
        answers_before = len(world.emu.calls("answerCallbackQuery"))
        for _ in range(PRESSES):
            await mallory.press(credits, "b:")
        started = time.monotonic()
        await ada.send_text("/help")
        await ada.wait_for(lambda m: "/gallery" in text_of(m), timeout=GENEROUS_SECONDS)
        waited = time.monotonic() - started
        await asyncio.sleep(1.0)  # let the rest of the flood land

        to_mallory = [
            c
            for c in world.emu.calls("sendMessage")[sends_before:]
            if int(c.params["chat_id"]) == mallory.chat_id
        ]
        answers = world.emu.calls("answerCallbackQuery")[answers_before:]
        notices = [a for a in answers if "Too many presses" in str(a.params.get("text"))]
        assert waited < GENEROUS_SECONDS
        # The bucket lets a burst of RATE_LIMIT_PER_MINUTE through; the rest is one notice.
        allowed = world.settings.rate_limit_per_minute
        assert len(to_mallory) <= allowed + 1
        assert len(notices) == 1
        assert len(answers) <= allowed + 1
