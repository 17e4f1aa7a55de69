"""Uploads in flight count against the per-user rules before any download (docs/product.md
§2): ten photos at once (an album) from a user with 30 credits download at most what can be
charged, and the rest are refused without a download."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.db_fixtures import sqlite_url
from tests.e2e.harness import bot_world, is_avatar, text_of
from tests.fakes import images

NOT_ENOUGH = "Not enough credits"


async def test_ten_photos_at_once_with_30_credits_download_at_most_three(tmp_path: Path) -> None:
    async with bot_world(await sqlite_url(tmp_path), tmp_path, rate_limit_per_minute=100) as world:
        ada = await world.started_user(1)
        world.model.latency = 0.5
        photos = [images.jpeg(1280, 960, (20 * n, 90, 160)) for n in range(10)]
        downloads_before = len(world.emu.downloads)
        for photo in photos:
            await ada.send_photo(photo)
        await ada.wait_for(lambda m: sum(1 for x in ada.messages if is_avatar(x)) == 3, timeout=30)
        await world.settled()
        await asyncio.sleep(0.5)

        downloads = len(world.emu.downloads) - downloads_before
        refusals = [
            m for m in ada.messages if NOT_ENOUGH in text_of(m) or "at a time" in text_of(m)
        ]
        assert downloads == 3
        assert len(refusals) == 7
        assert len(world.model.requests) == 3
        assert await world.balance(1) == 0 == await world.ledger_sum(1)
