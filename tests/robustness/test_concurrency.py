"""Many photos at once, end to end: the database, not luck, decides who is charged.

Per-user limits apply (MAX_ACTIVE_PER_USER=3, RATE_LIMIT_PER_MINUTE=20 by default), so one
user's burst stays under the rate limit and the fifty users each send only two photos.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from core.users import Profile
from tests.e2e.harness import bot_world
from tests.fakes import images
from tests.robustness.userview import (
    NOT_ENOUGH,
    STILL_WORKING,
    avatars,
    money,
    saying,
    statuses,
    texts,
)


async def test_ten_photos_at_once_with_thirty_credits_make_exactly_three_avatars(
    database_url: str, tmp_path: Path
) -> None:
    async with bot_world(database_url, tmp_path) as world:
        ada = await world.started_user(1)
        for _ in range(10):
            await ada.send_photo(images.jpeg())

        def refusals() -> list[str]:
            return [t for t in texts(ada) if NOT_ENOUGH in t or STILL_WORKING in t]

        await ada.wait_for(lambda m: len(avatars(ada)) == 3 and len(refusals()) == 7, timeout=30)
        await world.settled()

        assert len(avatars(ada)) == 3
        assert len(refusals()) == 7
        assert await money(world, 1) == (0, 0)
        assert await statuses(world) == ["completed"] * 3
        assert len(world.model.requests) == 3
        assert saying(ada, "Creating your superhero") == []


async def test_fifty_users_sending_two_photos_at_once_each_get_exactly_two_avatars(
    database_url: str, tmp_path: Path
) -> None:
    async with bot_world(database_url, tmp_path) as world:
        people = range(1, 51)
        for user_id in people:  # 30 welcome credits each: enough for three avatars
            await world.services.features.accounts.resolve(
                Profile(user_id=user_id, first_name=f"User{user_id}"), register=True
            )
        users = [world.user(user_id) for user_id in people]
        started = time.monotonic()
        for user in users:
            await user.send_photo(images.jpeg(320, 240))
            await user.send_photo(images.jpeg(320, 240))

        await asyncio.gather(
            *(u.wait_for(lambda m, u=u: len(avatars(u)) == 2, timeout=90) for u in users)
        )
        rows = await world.settled(timeout=30)
        print(f"\n100 photos from 50 users: {time.monotonic() - started:.1f} s")

        assert [len(avatars(u)) for u in users] == [2] * 50
        assert [await money(world, u.id) for u in users] == [(10, 10)] * 50
        assert [row.status for row in rows] == ["completed"] * 100
        assert len(world.model.requests) == 100
        assert not any(NOT_ENOUGH in t or STILL_WORKING in t for u in users for t in texts(u))
