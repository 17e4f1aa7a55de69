"""With two workers busy on one user's photos, other users are not served last."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.db_fixtures import sqlite_url
from tests.e2e.harness import bot_world, is_avatar
from tests.fakes import images


async def test_other_users_are_not_served_after_all_of_one_users_jobs(tmp_path: Path) -> None:
    async with bot_world(await sqlite_url(tmp_path), tmp_path, workers=2) as world:
        users = [await world.started_user(n) for n in (1, 2, 3)]
        ada, bob, cid = users
        world.model.latency = 2.0
        for _ in range(3):
            await ada.send_photo(images.jpeg())
        # All three of Ada's jobs are queued before the others send (a status message may be
        # skipped while avatars are on their way, so the rows are the signal, not the chat).
        for _ in range(200):
            if len(await world.generations(1)) == 3:
                break
            await asyncio.sleep(0.05)
        assert len(await world.generations(1)) == 3
        await asyncio.sleep(0.2)
        await bob.send_photo(images.jpeg())
        await cid.send_photo(images.jpeg())
        await asyncio.gather(*(u.wait_for(is_avatar, since=0, timeout=30) for u in (bob, cid)))
        await ada.wait_for(lambda m: sum(1 for x in ada.messages if is_avatar(x)) == 3, timeout=30)

        sent = [
            c
            for c in world.emu.calls("sendPhoto")
            if "credits left" in str(c.params.get("caption"))
        ]
        chats = [int(c.params["chat_id"]) for c in sent]
        assert chats.index(2) < len(chats) - 1 and chats.index(3) < len(chats) - 1
        assert chats[-1] == 1  # Ada's third photo came last, not Bob's or Cid's
