"""Reply to edit (product.md §12): a text reply to your avatar makes a new avatar from it."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from tests.e2e.harness import BotWorld, bot_world, buttons, is_avatar, text_of
from tests.fakes.openrouter import Outcome

HINT = "reply to it with what to change"


def avatars(user: object) -> list[dict[str, object]]:
    return [m for m in user.messages if is_avatar(m)]  # type: ignore[attr-defined]


async def parent_image(world: BotWorld) -> bytes:
    first = (await world.generations())[0]
    assert first.result_key is not None
    return await world.services.blobs.get(first.result_key)


async def test_a_reply_to_an_avatar_makes_a_linked_avatar_from_it_charged_once(
    world_on_each_database: BotWorld,
) -> None:
    world = world_on_each_database
    user = await world.started_user(1)
    avatar = await world.avatar_after_photo(user)

    await user.send_text("make the cape red", reply_to=avatar)
    await user.wait_for(lambda m: len(avatars(user)) == 2)
    rows = await world.settled()

    parent, edit = rows
    assert edit.parent_id == parent.id and edit.status == "completed"
    edit_request = world.model.requests[1]
    assert edit_request.parts == ["text", "image_url"]
    assert edit_request.images == [await parent_image(world)]
    assert "make the cape red" in world.model.prompts[1]
    assert "Keep the same person" in world.model.prompts[1]
    assert await world.balance(1) == 10 == await world.ledger_sum(1)

    await user.send_text("/gallery")
    page = await user.wait_for(lambda m: "1 / 2" in text_of(m))
    assert "✏️ edited from 2 / 2" in text_of(page)


async def test_a_failed_edit_is_refunded(world: BotWorld) -> None:
    user = await world.started_user(1)
    avatar = await world.avatar_after_photo(user)
    world.model.script(Outcome.refusal("IMAGE_SAFETY"))

    await user.send_text("add rain at night", reply_to=avatar)
    await user.wait_for(lambda m: "refunded" in text_of(m))
    rows = await world.settled()

    assert [row.status for row in rows] == ["completed", "failed"]
    assert await world.balance(1) == 20 == await world.ledger_sum(1)
    assert len(avatars(user)) == 1


async def test_a_redelivered_reply_is_charged_once(database_url: str, tmp_path: Path) -> None:
    async with bot_world(database_url, tmp_path) as world:
        user = await world.started_user(1)
        avatar = await world.avatar_after_photo(user)

        await user.send_text("make it snow", reply_to=avatar)
        world.emu.replay_update(world.emu.update_ids("message")[-1])  # while the first runs
        await user.wait_for(lambda m: len(avatars(user)) == 2)
        await asyncio.sleep(0.5)
        world.emu.replay_update(world.emu.update_ids("message")[-1])  # and once it is done
        await asyncio.sleep(0.5)
        rows = await world.settled()

        assert len(rows) == 2 and len(world.model.requests) == 2
        assert len(avatars(user)) == 2
        assert await world.balance(1) == 10 == await world.ledger_sum(1)


async def test_text_replies_to_anything_but_your_avatar_get_a_hint_and_cost_nothing(
    world: BotWorld,
) -> None:
    ada = await world.started_user(1)
    bob = await world.started_user(2)
    avatar = await world.avatar_after_photo(ada)
    welcome = next(m for m in ada.messages if "Welcome" in text_of(m))
    own = await ada.send_text("just a note")

    for target in (welcome, own):
        await ada.send_text("make the cape red", reply_to=target)
        await ada.wait_for(lambda m: HINT in text_of(m))
    # Another user's avatar: in private chats only a forged id can point at it.
    forged = {
        "message_id": 99,
        "from": bob.user,
        "chat": {"id": bob.chat_id, "type": "private", "first_name": "User2"},
        "date": int(time.time()),
        "text": "make the cape red",
        "reply_to_message": avatar,
    }
    world.emu.push_update("message", forged)
    await bob.wait_for(lambda m: HINT in text_of(m), since=0)
    # A deleted avatar (its message still in the chat).
    gen_id = (await world.generations(1))[0].id
    await world.services.features.gallery.delete(1, gen_id)
    await ada.send_text("make the cape red", reply_to=avatar)
    await ada.wait_for(lambda m: HINT in text_of(m))

    assert len(world.model.requests) == 1
    assert len(await world.generations()) == 0  # the one avatar was deleted, no edit queued
    assert await world.balance(1) == 20 == await world.ledger_sum(1)
    assert await world.balance(2) == 30


async def test_an_edit_without_credits_is_refused_before_anything_is_copied(
    world: BotWorld,
) -> None:
    user = await world.started_user(1)
    avatar = None
    for _ in range(3):
        avatar = await world.avatar_after_photo(user)
    keys_before = {key async for key in world.services.blobs.list_keys()}

    await user.send_text("make the cape red", reply_to=avatar)
    await user.wait_for(lambda m: "Not enough credits" in text_of(m))

    assert {key async for key in world.services.blobs.list_keys()} == keys_before
    assert len(await world.generations()) == 3


async def test_again_on_an_edited_avatar_repeats_the_edit(world: BotWorld) -> None:
    user = await world.started_user(1)
    avatar = await world.avatar_after_photo(user)
    await user.send_text("give me a golden helmet", reply_to=avatar)
    await user.wait_for(lambda m: len(avatars(user)) == 2)
    edited = avatars(user)[-1]

    await user.press(edited, buttons(edited)["🔁 Again"])
    await user.wait_for(lambda m: len(avatars(user)) == 3)
    rows = await world.settled()

    assert rows[2].parent_id == rows[0].id
    assert "golden helmet" in world.model.prompts[2]
    assert "Keep the same person" in world.model.prompts[2]
    assert await world.balance(1) == 0 == await world.ledger_sum(1)
