"""Bursts against Telegram's 30 messages/s: paced under the limit, not bouncing off it (§10)."""

from __future__ import annotations

import asyncio

import pytest

from bot.ratelimit import PriorityRateLimiter
from tests.e2e.harness import BotWorld, is_avatar
from tests.fakes import images


async def test_ninety_sends_at_once_reach_telegram_without_a_single_429(world: BotWorld) -> None:
    world.emu.set_rate_limit(global_per_second=30)
    users = [world.user(100 + n) for n in range(90)]
    sent = await asyncio.gather(
        *(world.app.bot.send_message(user.chat_id, f"hello {user.chat_id}") for user in users)
    )

    assert len({(message.chat_id, message.message_id) for message in sent}) == 90
    assert all(user.messages for user in users)
    assert world.emu.rate_limited_count == 0


@pytest.mark.slow
async def test_a_burst_of_photos_gets_every_avatar_without_a_429(world: BotWorld) -> None:
    users = [await world.started_user(200 + n) for n in range(40)]
    world.emu.set_rate_limit(global_per_second=30)
    photo = images.jpeg(320, 240)
    for user in users:
        await user.send_photo(photo)
    await asyncio.gather(*(user.wait_for(is_avatar, timeout=60) for user in users))

    assert world.emu.rate_limited_count == 0
    limiter = world.app.bot.rate_limiter
    assert isinstance(limiter, PriorityRateLimiter)
    assert limiter.limited == 0
    assert {row.status for row in await world.settled(timeout=30)} == {"completed"}


async def test_the_limiter_sees_the_avatars_on_their_way(world: BotWorld) -> None:
    limiter = world.app.bot.rate_limiter
    assert isinstance(limiter, PriorityRateLimiter)
    user = await world.started_user(1)
    world.model.latency = 2.0
    await user.send_photo(images.jpeg(320, 240))
    async with asyncio.timeout(15):
        while world.services.pool.in_flight == 0:
            await asyncio.sleep(0.01)

    assert limiter.coming() >= world.services.pool.in_flight == 1  # the avatar to come
    await user.wait_for(is_avatar, timeout=20)
    await world.settled()
    assert limiter.coming() == 0
