"""Per-user limits: generations in flight, and a message rate limit that answers a flood with
one notice and never makes other users wait."""

from __future__ import annotations

import asyncio
import contextlib
import time
from pathlib import Path

from tests.db_fixtures import sqlite_url
from tests.e2e.harness import bot_world, is_avatar, text_of
from tests.fakes import images
from tests.robustness.userview import STILL_WORKING, avatars, money, saying

SLOW_DOWN = "Slow down a little"


async def test_a_photo_while_one_is_in_flight_is_refused_without_charge(tmp_path: Path) -> None:
    async with bot_world(await sqlite_url(tmp_path), tmp_path, max_active_per_user=1) as world:
        ada = await world.started_user(1)
        world.model.latency = 1.5
        await ada.send_photo(images.jpeg())
        await ada.wait_for(lambda m: "Creating your superhero" in text_of(m))
        await ada.send_photo(images.jpeg())
        refusal = await ada.wait_for(lambda m: STILL_WORKING in text_of(m))
        assert await money(world, 1) == (20, 20)  # only the first photo is charged

        await ada.wait_for(is_avatar, timeout=10)
        await world.settled()
        await world.avatar_after_photo(ada)  # once it is done, the next one is welcome

        assert "1 at a time" in text_of(refusal)
        assert len(avatars(ada)) == 2
        assert len(world.model.requests) == 2
        assert await money(world, 1) == (10, 10)


async def test_a_flood_is_answered_with_one_notice_not_one_reply_per_message(
    tmp_path: Path,
) -> None:
    async with bot_world(await sqlite_url(tmp_path), tmp_path, rate_limit_per_minute=5) as world:
        ada = await world.started_user(1)  # uses one of the five
        for n in range(30):
            await ada.send_text(f"/help {n}")
        await ada.wait_for(lambda m: SLOW_DOWN in text_of(m))
        await asyncio.sleep(0.5)

        assert len(saying(ada, SLOW_DOWN)) == 1
        assert len(saying(ada, "How it works")) <= 4
        assert len(ada.messages) <= 1 + 4 + 1  # welcome, what the bucket allowed, one notice


async def test_a_flooding_user_does_not_slow_down_other_users(tmp_path: Path) -> None:
    async with bot_world(await sqlite_url(tmp_path), tmp_path) as world:
        mallory, bob = await world.started_user(1), await world.started_user(2)
        photo = images.jpeg(320, 240)

        async def flood() -> None:
            for n in range(10_000):
                await (mallory.send_photo(photo) if n % 3 == 0 else mallory.send_text("spam"))
                await asyncio.sleep(0.002)

        flood_started = time.monotonic()
        flooding = asyncio.create_task(flood())
        latencies = []
        try:
            for _ in range(5):
                await asyncio.sleep(0.3)
                started = time.monotonic()
                await bob.send_text("/credits")
                await bob.wait_for(lambda m: "Balance" in text_of(m), timeout=10)
                latencies.append(time.monotonic() - started)
        finally:
            flooding.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await flooding
        refills = int((time.monotonic() - flood_started) / 3)  # 20/min: a token every 3 s
        await world.settled(timeout=30)

        # Generous on purpose: the flood's allowed burst (~20 replies) shares Telegram's 30/s
        # budget with Bob, so his first answer can take a few tenths of a second longer.
        assert max(latencies) < 2.0, latencies
        assert 1 <= len(saying(mallory, SLOW_DOWN)) <= 1 + refills  # one notice per burst
        assert await money(world, 1) == (0, 0)  # what got through was charged properly
        assert len(avatars(mallory)) == 3
