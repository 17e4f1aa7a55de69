"""'⏳ In line: Nth' on waiting jobs (product.md §12): shown, updated, and yielding to a burst."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.ratelimit import PriorityRateLimiter
from tests.e2e.harness import BotWorld, bot_world, is_avatar, text_of
from tests.fakes import images


def in_line_edits(world: BotWorld) -> list[str]:
    return [
        str(call.params.get("text"))
        for call in world.emu.calls("editMessageText")
        if "In line" in str(call.params.get("text"))
    ]


async def queue_of_four(world: BotWorld) -> list[object]:
    """Four users' photos with one worker and a slow model: one runs, three wait."""
    world.model.latency = 1.5
    users = [await world.started_user(n) for n in (1, 2, 3, 4)]
    for user in users:
        await user.send_photo(images.jpeg())
        await user.wait_for(lambda m: "Creating your superhero" in text_of(m))
    return users


async def test_a_waiting_job_shows_its_place_and_it_moves_up(
    database_url: str, tmp_path: Path
) -> None:
    async with bot_world(database_url, tmp_path, workers=1, queue_position_seconds=1) as world:
        last = (await queue_of_four(world))[-1]

        await last.wait_for(lambda m: "In line: 3rd" in text_of(m), since=0)
        await last.wait_for(lambda m: "In line: 2nd" in text_of(m), since=0, timeout=15)
        await last.wait_for(lambda m: "In line: 1st" in text_of(m), since=0, timeout=15)
        await last.wait_for(is_avatar, since=0, timeout=20)
        await world.settled(timeout=20)

        assert await world.balance(4) == 20


async def test_places_are_not_sent_while_the_send_budget_is_saturated(
    database_url: str, tmp_path: Path
) -> None:
    async with bot_world(database_url, tmp_path, workers=1, queue_position_seconds=1) as world:
        users = await queue_of_four(world)
        limiter = world.app.bot.rate_limiter
        assert isinstance(limiter, PriorityRateLimiter)
        limiter.coming = lambda: 10_000  # a burst on its way: cosmetic sends yield
        await asyncio.sleep(0.3)  # an edit already under way may still land
        before = len(in_line_edits(world))

        for user in users:
            await user.wait_for(is_avatar, since=0, timeout=20)
        await world.settled(timeout=20)

        assert len(in_line_edits(world)) == before  # places changed three times, none shown
        assert all(len([m for m in u.messages if is_avatar(m)]) == 1 for u in users)
