"""Several selfies, one likeness (product.md §12): an album is stored as it arrives, asked
about once, and charged only for what the user picks."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from bot.app import build_application
from bot.lifecycle import running
from core import ledger
from core.album_tables import Album, AlbumPart
from core.cleanup import find_orphans
from core.db import unit_of_work
from playground.botapi import BotApiEmulator, FakeUser
from tests.e2e.harness import (
    OPENROUTER_KEY,
    TOKEN,
    BotWorld,
    bot_world,
    buttons,
    is_avatar,
    make_settings,
    text_of,
)
from tests.fakes import images
from tests.fakes.openrouter import OpenRouterFake

ONE, SEPARATE = "✨ One avatar from all 3", "🖼 3 separate avatars"


def selfies(count: int) -> list[bytes]:
    return [images.jpeg(640 + 10 * i, 480) for i in range(count)]


def avatars(user: FakeUser) -> list[dict[str, Any]]:
    return [m for m in user.messages if is_avatar(m)]


async def question(user: FakeUser, photos: int = 3) -> dict[str, Any]:
    return await user.wait_for(lambda m: f"📸 {photos} photos" in text_of(m) and buttons(m))


def questions(user: FakeUser) -> list[dict[str, Any]]:
    return [m for m in user.messages if text_of(m).startswith("📸")]


async def originals(world: BotWorld) -> set[str]:
    return {key async for key in world.services.blobs.list_keys("originals/")}


async def test_an_album_of_three_gets_one_question_and_one_avatar_from_all_three(
    world_on_each_database: BotWorld,
) -> None:
    world = world_on_each_database
    user = await world.started_user(1)
    photos = selfies(3)
    await user.send_album(photos, "heroic pose", order=[1, 2, 0], split=True)

    asked = await question(user)
    await asyncio.sleep(2.5)  # longer than the quiet period: still one question
    assert len(questions(user)) == 1
    assert world.model.requests == [] and await world.balance(1) == 30  # nothing charged yet

    await user.press(asked, buttons(asked)[ONE])
    await user.press(asked, buttons(asked)[ONE])  # pressed twice: one set of jobs
    await user.wait_for(is_avatar)
    rows = await world.settled()

    assert len(rows) == 1 and len(world.model.requests) == 1
    request = world.model.requests[0]
    assert request.parts == ["text", "image_url", "image_url", "image_url"]
    assert len(request.images) == 3
    assert "heroic pose" in world.model.prompts[0] and "same person" in world.model.prompts[0]
    assert await world.balance(1) == 20 == await world.ledger_sum(1)
    assert len(rows[0].original_keys) == 3 and set(rows[0].original_keys) == await originals(world)


async def test_separate_queues_one_avatar_per_photo_under_the_per_user_cap(
    database_url: str, tmp_path: Path
) -> None:
    async with bot_world(database_url, tmp_path, max_active_per_user=2) as world:
        user = await world.started_user(1)
        await user.send_album(selfies(3))
        asked = await question(user)

        await user.press(asked, buttons(asked)[SEPARATE])
        answer = await user.wait_for(lambda m: "on the way" in text_of(m))
        await user.wait_for(lambda m: len(avatars(user)) == 2)
        rows = await world.settled()

        assert "2 avatars are on the way" in text_of(answer)
        assert "still working on your earlier photos" in text_of(answer).lower()
        assert len(rows) == 2 and len(world.model.requests) == 2
        assert all(len(r.images) == 1 for r in world.model.requests)
        assert await world.balance(1) == 10 == await world.ledger_sum(1)
        kept = {key for row in rows for key in row.original_keys}
        assert kept == await originals(world)  # the third photo's original is gone


async def test_separate_three_within_the_cap_makes_three_avatars(world: BotWorld) -> None:
    user = await world.started_user(1)
    await user.send_album(selfies(3))
    asked = await question(user)

    await user.press(asked, buttons(asked)[SEPARATE])
    await user.wait_for(lambda m: len(avatars(user)) == 3)
    rows = await world.settled()

    assert len(rows) == 3 and await world.balance(1) == 0 == await world.ledger_sum(1)


async def test_an_album_of_five_gets_a_hint_and_costs_nothing(world: BotWorld) -> None:
    user = await world.started_user(1)
    await user.send_album(selfies(5))

    hint = await user.wait_for(lambda m: "more than 4 photos" in text_of(m))
    await asyncio.sleep(2.5)

    assert not buttons(hint) and len(questions(user)) == 1
    assert world.model.requests == [] and await world.generations() == []
    assert await world.balance(1) == 30 == await world.ledger_sum(1)
    assert await originals(world) == set()  # no blob without its row


async def test_an_unanswered_album_is_removed_with_its_photos(world: BotWorld) -> None:
    user = await world.started_user(1)
    await user.send_album(selfies(2))
    await question(user, photos=2)
    assert len(await originals(world)) == 2
    await asyncio.sleep(0.3)  # the question is recorded on the album just after it is sent

    removed = await world.services.features.album_questions.remove_abandoned(keep_hours=1e-9)

    assert removed == 1 and await originals(world) == set()
    async with unit_of_work(world.services.sessions) as session:
        assert await session.scalar(select(func.count()).select_from(Album)) == 0
        assert await session.scalar(select(func.count()).select_from(AlbumPart)) == 0


async def parts_stored(database_url: str, settings_app: Any, count: int) -> None:
    services = settings_app.bot_data.services
    async with asyncio.timeout(10):
        while True:
            async with unit_of_work(services.sessions) as session:
                stored = await session.scalar(select(func.count()).select_from(AlbumPart))
            if stored == count:
                return
            await asyncio.sleep(0.05)


async def test_a_restart_mid_album_loses_nothing(database_url: str, tmp_path: Path) -> None:
    async with (
        BotApiEmulator(token=TOKEN, bot_username="aivenger_test_bot") as emu,
        OpenRouterFake(api_key=OPENROUTER_KEY) as model,
    ):
        settings = make_settings(emu, model, database_url, tmp_path)
        user = emu.user(1, first_name="Ada")
        first = build_application(settings)
        async with running(first, poll_timeout=1):
            await user.send_text("/start")
            await user.wait_for(lambda m: "Welcome" in text_of(m))
            album = await user.send_album(selfies(3), hold=1)
            await parts_stored(database_url, first, 2)
        # The first process is gone after 2 of 3 parts; a new one takes over.
        second = build_application(settings)
        async with running(second, poll_timeout=1):
            album.deliver()
            asked = await user.wait_for(lambda m: "📸 3 photos" in text_of(m) and buttons(m))
            await user.press(asked, buttons(asked)[ONE])
            await user.wait_for(is_avatar)

        assert len(model.requests) == 1 and len(model.requests[0].images) == 3
        current = [m for m in user.messages if text_of(m).startswith("📸") and buttons(m)]
        assert len(current) <= 1  # a question asked about 2 photos, if any, was taken back


async def test_cleanup_never_takes_an_albums_photos_for_orphans(world: BotWorld) -> None:
    user = await world.started_user(1)
    await user.send_album(selfies(2))
    asked = await question(user, photos=2)
    sessions, blobs = world.services.sessions, world.services.blobs

    waiting = await find_orphans(sessions, blobs, min_age=timedelta(0))
    await user.press(asked, buttons(asked)["✨ One avatar from all 2"])
    await user.wait_for(is_avatar)
    await world.settled()
    chosen = await find_orphans(sessions, blobs, min_age=timedelta(0))

    assert waiting.orphan_blobs == [] and chosen.orphan_blobs == []
    assert len(await originals(world)) == 2  # both photos now belong to the avatar's row


async def test_deleting_an_avatar_from_an_album_removes_all_its_photos(world: BotWorld) -> None:
    user = await world.started_user(1)
    await user.send_album(selfies(3))
    asked = await question(user)
    await user.press(asked, buttons(asked)[ONE])
    await user.wait_for(is_avatar)
    (row,) = await world.settled()
    assert len(await originals(world)) == 3

    await world.services.features.gallery.delete(1, row.id)

    assert await originals(world) == set()


async def test_an_album_from_a_user_who_cannot_pay_is_refused_once_before_any_download(
    world_on_each_database: BotWorld,
) -> None:
    world = world_on_each_database
    user = await world.started_user(1)
    async with unit_of_work(world.services.sessions) as session:
        await ledger.debit_up_to(session, user_id=1, amount=30, kind="admin", key="spent-it")
    downloads_before = len(world.emu.downloads)

    await user.send_album(selfies(10), "heroic pose")
    await user.wait_for(lambda m: "Not enough credits" in text_of(m))
    await asyncio.sleep(1.5)  # the other nine parts have long been processed

    assert [text_of(m) for m in user.messages if "Not enough credits" in text_of(m)] == [
        text_of(await user.wait_for(lambda m: "Not enough credits" in text_of(m)))
    ], "answered more than once"
    assert len(world.emu.downloads) == downloads_before, "parts downloaded for nothing"
    assert await originals(world) == set() and questions(user) == []
    async with unit_of_work(world.services.sessions) as session:
        assert await session.scalar(select(func.count()).select_from(AlbumPart)) == 0
    assert await world.balance(1) == 0 == await world.ledger_sum(1)
