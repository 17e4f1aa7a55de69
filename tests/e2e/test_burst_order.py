"""A burst is taken photo by photo, not step by step: the first photos reach the model while
the rest are still arriving (the database gate serves the oldest update's transaction
first), so the avatars start going out one model latency after the burst, not after its
whole intake."""

from __future__ import annotations

import asyncio

from tests.e2e.harness import BotWorld, is_avatar
from tests.fakes import images

BURST = 60


async def test_the_first_photos_of_a_burst_reach_the_model_before_most_are_downloaded(
    world_on_each_database: BotWorld,
) -> None:
    world = world_on_each_database
    users = [world.user(300 + n) for n in range(BURST)]
    photo = images.jpeg(320, 240)
    for user in users:
        await user.send_photo(photo)
    await asyncio.gather(*(user.wait_for(is_avatar, timeout=60) for user in users))

    downloads = sorted(call.at for call in world.emu.calls() if call.method == "getFile")
    first_model_call = min(request.at for request in world.model.requests)
    downloaded_before = sum(1 for at in downloads if at < first_model_call)
    assert len(downloads) == BURST
    assert downloaded_before < BURST // 2, f"{downloaded_before} of {BURST} photos first"
