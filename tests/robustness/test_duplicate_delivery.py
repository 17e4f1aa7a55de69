"""Telegram may deliver an update twice (a restart before the offset was confirmed, a webhook
retry) and a user may edit a photo's caption: neither may cost a second charge or model call.
The durable inbox stores each update_id once, so a redelivery never reaches a handler again.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.e2e.harness import bot_world, is_avatar
from tests.fakes import images
from tests.robustness.userview import (
    avatars,
    inbox_statuses,
    ledger_keys,
    money,
    saying,
    statuses,
    until,
)


async def test_a_photo_update_delivered_twice_while_in_flight_is_charged_and_generated_once(
    database_url: str, tmp_path: Path
) -> None:
    async with bot_world(database_url, tmp_path) as world:
        ada = await world.started_user(1)
        downloads = world.emu.hold("getFile")  # the first delivery is mid-way through intake
        await ada.send_photo(images.jpeg())
        await downloads.arrived(1)
        update_id = world.emu.update_ids("message")[-1]
        world.emu.replay_update(update_id)
        await until(lambda: world.emu.confirmed(update_id))  # the inbox already holds it
        downloads.release()
        await ada.wait_for(is_avatar, timeout=15)
        await world.settled()
        await asyncio.sleep(0.3)  # let the losing copy tidy its status message

        assert len(avatars(ada)) == 1
        assert len(world.model.requests) == 1
        assert await money(world, 1) == (20, 20)
        assert await statuses(world) == ["completed"]
        assert [k.split(":")[0] for k in await ledger_keys(world, 1)] == ["welcome", "charge"]
        assert saying(ada, "Creating your superhero") == []  # no status message left behind


async def test_a_replayed_batch_of_updates_after_the_avatar_changes_nothing(
    database_url: str, tmp_path: Path
) -> None:
    async with bot_world(database_url, tmp_path) as world:
        ada = await world.started_user(1)
        await world.avatar_after_photo(ada)
        messages_before = len(ada.messages)

        update_ids = world.emu.update_ids()
        for update_id in update_ids:  # /start and the photo, as after a restart
            world.emu.replay_update(update_id)
        await until(lambda: all(world.emu.confirmed(u) for u in update_ids))
        await asyncio.sleep(0.5)
        await world.settled()

        assert len(avatars(ada)) == 1
        assert len(world.model.requests) == 1
        assert await money(world, 1) == (20, 20)
        assert len(ada.messages) == messages_before  # the inbox had them: nothing is re-run
        assert set((await inbox_statuses(world)).values()) == {"done"}


async def test_an_edited_caption_on_a_charged_photo_costs_nothing_more(
    database_url: str, tmp_path: Path
) -> None:
    async with bot_world(database_url, tmp_path) as world:
        ada = await world.started_user(1)
        world.model.latency = 1.0
        photo = await ada.send_photo(images.jpeg(), caption="red cape")
        await ada.wait_for(lambda m: "Creating your superhero" in str(m.get("text")))
        await ada.edit_message(photo, caption="blue cape")  # while it is being generated
        await ada.wait_for(is_avatar, timeout=15)
        await world.settled()
        await ada.edit_message(photo, caption="green cape")  # and after it was delivered
        await asyncio.sleep(0.5)
        await world.settled()

        assert len(avatars(ada)) == 1
        assert len(world.model.requests) == 1
        assert "red cape" in world.model.prompts[0]
        assert await money(world, 1) == (20, 20)
        assert len(await statuses(world)) == 1
