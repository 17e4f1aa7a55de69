"""/gallery, /delete and the inline buttons, including presses that are not the user's."""

from __future__ import annotations

from playground.botapi import FakeUser
from tests.e2e.harness import BotWorld, buttons, is_avatar, text_of


async def user_with_avatars(world: BotWorld, count: int, user_id: int = 1) -> FakeUser:
    user = await world.started_user(user_id)
    for _ in range(count):
        await world.avatar_after_photo(user)
    return user


def is_gallery(message: dict[str, object]) -> bool:
    return " / " in text_of(message) and bool(message.get("photo"))


async def test_an_empty_gallery_says_so(world: BotWorld) -> None:
    user = await world.started_user(1)
    await user.send_text("/gallery")
    empty = await user.wait_for(lambda m: "gallery is empty" in text_of(m))

    assert empty["text"].startswith("🖼")


async def test_paging_edits_one_message_by_file_id_without_uploading(world: BotWorld) -> None:
    user = await user_with_avatars(world, 3)
    await user.send_text("/gallery")
    page = await user.wait_for(is_gallery)
    uploads_before = world.emu.uploads
    assert text_of(page).startswith("1 / 3 · Superhero · ")
    assert set(buttons(page)) == {"🗑", "▶", "📄 Full size", "↗️ Share", "🎭 Sticker"}

    await user.press(page, buttons(page)["▶"])
    page = await user.wait_for(lambda m: text_of(m).startswith("2 / 3"))
    await user.press(page, buttons(page)["▶"])
    page = await user.wait_for(lambda m: text_of(m).startswith("3 / 3"))
    await user.press(page, buttons(page)["◀"])
    page = await user.wait_for(lambda m: text_of(m).startswith("2 / 3"))

    gallery_messages = [m for m in user.messages if is_gallery(m)]
    assert len(gallery_messages) == 1
    assert world.emu.uploads == uploads_before
    assert len(world.emu.calls("editMessageMedia")) == 3


async def test_an_unknown_file_id_falls_back_to_one_upload(world: BotWorld) -> None:
    user = await user_with_avatars(world, 2)
    world.emu.invalidate_file_ids()
    await user.send_text("/gallery")
    page = await user.wait_for(is_gallery)
    await user.press(page, buttons(page)["▶"])
    await user.wait_for(lambda m: text_of(m).startswith("2 / 2"))
    await user.press(user.messages[-1], buttons(user.messages[-1])["◀"])
    await user.wait_for(lambda m: text_of(m).startswith("1 / 2"))

    # one upload per avatar, then the new file_ids are used
    assert world.emu.uploads == 2 + 2


async def test_delete_asks_first_and_cancel_keeps_the_avatar(world: BotWorld) -> None:
    user = await user_with_avatars(world, 2)
    await user.send_text("/gallery")
    page = await user.wait_for(is_gallery)
    await user.press(page, buttons(page)["🗑"])
    confirm = await user.wait_for(lambda m: "Delete this avatar?" in text_of(m))
    assert set(buttons(confirm)) == {"Yes, delete", "Cancel"}

    await user.press(confirm, buttons(confirm)["Cancel"])
    await user.wait_for(lambda m: text_of(m).startswith("1 / 2"))

    assert len([g for g in await world.generations(1) if g.status == "completed"]) == 2
    assert world.emu.calls("editMessageMedia") == []  # same photo: only the caption changed
    assert len(world.emu.calls("editMessageCaption")) == 2


async def test_confirmed_delete_removes_the_avatar_and_shows_the_next(world: BotWorld) -> None:
    user = await user_with_avatars(world, 2)
    await user.send_text("/gallery")
    page = await user.wait_for(is_gallery)
    await user.press(page, buttons(page)["🗑"])
    confirm = await user.wait_for(lambda m: "Delete this avatar?" in text_of(m))
    await user.press(confirm, buttons(confirm)["Yes, delete"])
    await user.wait_for(lambda m: text_of(m).startswith("1 / 1"))

    remaining = await world.generations(1)
    assert len(remaining) == 1
    blobs = [key async for key in world.services.blobs.list_keys()]
    assert sorted(blobs) == sorted([remaining[0].original_key, remaining[0].result_key])


async def test_deleting_the_last_avatar_shows_the_empty_state(world: BotWorld) -> None:
    user = await user_with_avatars(world, 1)
    await user.send_text("/gallery")
    page = await user.wait_for(is_gallery)
    await user.press(page, buttons(page)["🗑"])
    confirm = await user.wait_for(lambda m: "Delete this avatar?" in text_of(m))
    await user.press(confirm, buttons(confirm)["Yes, delete"])
    await user.wait_for(lambda m: "gallery is empty now" in text_of(m))

    assert await world.generations(1) == []
    assert [key async for key in world.services.blobs.list_keys()] == []


async def test_delete_as_a_reply_targets_that_avatar(world: BotWorld) -> None:
    user = await user_with_avatars(world, 2)
    oldest = next(m for m in user.messages if is_avatar(m))
    target = next(
        g for g in await world.generations(1) if g.result_message_id == oldest["message_id"]
    )
    await user.send_text("/delete", reply_to=oldest)
    confirm = await user.wait_for(lambda m: "Delete this avatar?" in text_of(m))
    await user.press(confirm, buttons(confirm)["Yes, delete"])
    await user.wait_for(lambda m: text_of(m).startswith("1 / 1"))

    assert target.id not in {g.id for g in await world.generations(1)}


async def test_another_users_press_changes_nothing_and_is_answered(world: BotWorld) -> None:
    ada = await user_with_avatars(world, 2, user_id=1)
    eve = await world.started_user(2)
    await ada.send_text("/gallery")
    page = await ada.wait_for(is_gallery)

    answers = []
    for label in ("🗑", "▶", "📄 Full size"):
        query = await eve.press(page, buttons(page)[label])  # Eve replays Ada's buttons
        answers.append(await world.emu.wait_callback_answered(query))
    own = await eve.send_text("/credits")
    await eve.wait_for(lambda m: m["message_id"] > own["message_id"])
    forged = await eve.press(eve.messages[-1], "y:" + buttons(page)["🗑"].split(":")[1])
    answers.append(await world.emu.wait_callback_answered(forged))

    assert all(
        a and a.get("show_alert") and "isn't available" in a.get("text", "") for a in answers
    )
    assert len([g for g in await world.generations(1) if g.status == "completed"]) == 2
    assert text_of(ada.messages[-1]).startswith("1 / 2")
    assert not any(m.get("document") for m in eve.messages)
