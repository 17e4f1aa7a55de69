"""Callback data is written by the client: every button action replayed with another user's
ids, malformed data and out-of-range pages change nothing, and every query is answered."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playground.botapi import FakeUser
from tests.db_fixtures import sqlite_url
from tests.e2e.harness import BotWorld, bot_world, text_of
from tests.robustness.userview import money

ID_ACTIONS = "pndycfa"  # every action that names a generation (bot/callbacks.py)


async def gallery_page(world: BotWorld, user: FakeUser) -> dict[str, Any]:
    await user.send_text("/gallery")
    return await user.wait_for(lambda m: bool(m.get("photo")) and " / " in text_of(m))


async def snapshot(world: BotWorld, *users: FakeUser) -> dict[str, Any]:
    rows = [
        (g.id, g.user_id, g.status, g.telegram_file_id, g.result_key)
        for g in await world.generations()
    ]
    return {
        "rows": rows,
        "money": [await money(world, u.id) for u in users],
        "styles": [(await world.services.features.accounts.find(u.id)).style for u in users],  # type: ignore[union-attr]
        "chats": {u.id: u.messages for u in users},
        "model calls": len(world.model.requests),
        "documents": len(world.emu.calls("sendDocument")),
    }


async def test_forged_and_malformed_button_presses_change_nothing_and_are_all_answered(
    tmp_path: Path,
) -> None:
    async with bot_world(await sqlite_url(tmp_path), tmp_path, rate_limit_per_minute=1000) as world:
        ada, bob = await world.started_user(1), await world.started_user(2)
        for _ in range(2):
            await world.avatar_after_photo(ada)
        bob_avatar = await world.avatar_after_photo(bob)
        ada_ids = [g.id for g in await world.generations(1)]
        bob_id = (await world.generations(2))[0].id
        bob_page = await gallery_page(world, bob)
        before = await snapshot(world, ada, bob)

        forged = [f"{action}:{gen_id}" for action in ID_ACTIONS for gen_id in ada_ids]
        malformed = [
            "", "zzz", ":", "p:", "p:123", "y:" + "G" * 32, "y:" + ada_ids[0].upper(),
            "d:" + ada_ids[0] + "0", "f:" + "0" * 32, "y:" + "a" * 300, "x:" + ada_ids[0],
            "y:" + ada_ids[0] + "\n", "p:ада", "s:", "s:../../etc", "s:nonexistent",
            "b:evil", "k:", "k:p999999", "l:xx", "l:",
        ]  # fmt: skip
        out_of_range = [f"p:{bob_id}", f"n:{bob_id}"]  # one avatar: no page before or after
        presses = [
            (message, data)
            for data in forged + malformed + out_of_range
            for message in (bob_page, bob_avatar)
        ]

        unanswered = []
        for message, data in presses:
            query_id = await bob.press(message, data)
            try:
                await world.emu.wait_callback_answered(query_id, timeout=5)
            except TimeoutError:
                unanswered.append(data)
        await world.settled()

        assert unanswered == []
        after = await snapshot(world, ada, bob)
        assert after["rows"] == before["rows"]
        assert after["money"] == before["money"] == [(10, 10), (20, 20)]
        assert after["chats"][ada.id] == before["chats"][ada.id]
        assert after["model calls"] == before["model calls"]
        assert after["documents"] == before["documents"]
        assert after["styles"] == before["styles"]
        page_now = next(m for m in bob.messages if m["message_id"] == bob_page["message_id"])
        assert page_now["photo"] == bob_page["photo"]  # still Bob's own avatar


async def test_another_users_avatar_is_reported_gone_not_shown(tmp_path: Path) -> None:
    async with bot_world(await sqlite_url(tmp_path), tmp_path) as world:
        ada, bob = await world.started_user(1), await world.started_user(2)
        await world.avatar_after_photo(ada)
        bob_avatar = await world.avatar_after_photo(bob)
        ada_id = (await world.generations(1))[0].id

        answers = []
        for action in ID_ACTIONS:
            query_id = await bob.press(bob_avatar, f"{action}:{ada_id}")
            answers.append(await world.emu.wait_callback_answered(query_id))

        assert {a.get("text") for a in answers} == {"This avatar isn't available any more."}
