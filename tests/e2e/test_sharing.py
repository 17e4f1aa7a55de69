"""Inline mode end to end: `@bot` lists the asking user's own avatars, pages through them,
filters by style, never shows anyone else's (whatever the offset says), and counts shares."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from core.db import unit_of_work
from core.generations import new_generation_id
from core.models import Generation
from core.sharing_tables import Share
from playground.botapi import FakeUser
from tests.db_fixtures import sqlite_url
from tests.e2e.harness import BotWorld, bot_world, text_of

ADMIN = 900


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[BotWorld]:
    async with bot_world(
        await sqlite_url(tmp_path),
        tmp_path,
        admin_user_ids=[ADMIN],
        configure=lambda emu, _: emu.enable_inline(feedback=True),
    ) as running:
        yield running


_BATCH = iter(range(1, 10_000))


def counter() -> int:
    return next(_BATCH)


async def clone_avatars(
    world: BotWorld, template: Generation, count: int, *, style: str | None = None, **extra: object
) -> list[str]:
    """`count` more completed avatars like `template`, each a minute older than the last."""
    ids = []
    async with unit_of_work(world.services.sessions) as session:
        for n in range(count):
            row = Generation(
                **{
                    c.name: getattr(template, c.name)
                    for c in Generation.__table__.columns
                    if c.name not in ("id", "created_at", "source_message_id", "updated_at")
                }
            )
            row.id = new_generation_id()
            row.source_message_id = 100_000 + n + 1000 * counter()
            row.created_at = template.created_at - timedelta(minutes=n + 1)
            if style:
                row.style = style
            for key, value in extra.items():
                setattr(row, key, value)
            session.add(row)
            ids.append(row.id)
    return ids


async def avatar_rows(world: BotWorld, user: FakeUser) -> list[Generation]:
    await world.avatar_after_photo(user)
    return [g for g in await world.generations(user.id) if g.status == "completed"]


async def test_the_inline_list_is_the_users_own_avatars_newest_first_in_pages(
    world: BotWorld,
) -> None:
    ada = await world.started_user(1)
    (first,) = await avatar_rows(world, ada)
    await clone_avatars(world, first, 54)
    unsent = await clone_avatars(world, first, 1, telegram_file_id=None)  # maybe-delivered
    eve = await world.started_user(2)
    await avatar_rows(world, eve)

    page1 = await ada.ask_inline("")
    assert len(page1["results"]) == 50 and page1["next_offset"]
    assert page1["is_personal"] is True and page1["cache_time"] <= 10
    page2 = await ada.ask_inline("", offset=page1["next_offset"])
    assert len(page2["results"]) == 5 and page2["next_offset"] == ""

    shown = [r["id"] for r in page1["results"] + page2["results"]]
    own = sorted(
        (g for g in await world.generations(ada.id) if g.telegram_file_id),
        key=lambda g: (g.created_at, g.id),
        reverse=True,
    )
    assert shown == [g.id for g in own]  # all of hers, newest first, each once
    assert unsent[0] not in shown
    assert all(r["type"] == "photo" and r["photo_file_id"] for r in page1["results"])
    assert "@aivenger_test_bot" in page1["results"][0]["caption"]


async def test_a_forged_or_foreign_offset_shows_nothing_of_anyone_else(world: BotWorld) -> None:
    ada = await world.started_user(1)
    (first,) = await avatar_rows(world, ada)
    await clone_avatars(world, first, 60)
    eve = await world.started_user(2)
    eve_own = {g.id for g in await avatar_rows(world, eve)}
    ada_ids = {g.id for g in await world.generations(ada.id)}
    offset = (await ada.ask_inline(""))["next_offset"]

    for forged in (offset, "zz." + first.id, "0." + "f" * 32, "../1", "1' OR 1=1 --", "9" * 60):
        answer = await eve.ask_inline("", offset=forged)
        assert not {r["id"] for r in answer["results"]} & ada_ids, forged
        assert {r["id"] for r in answer["results"]} <= eve_own
    by_id = await eve.ask_inline(f"id:{first.id[:12]}")  # Ada's avatar, named by Eve
    assert by_id["results"] == []


async def test_text_after_the_name_filters_by_style_in_any_language(world: BotWorld) -> None:
    ada = await world.started_user(1)
    (first,) = await avatar_rows(world, ada)
    noir = await clone_avatars(world, first, 3, style="noir")

    for text in ("noir", "Dark", "нуар"):
        answer = await ada.ask_inline(text)
        assert sorted(r["id"] for r in answer["results"]) == sorted(noir), text
    nothing = await ada.ask_inline("no such style")
    assert nothing["results"] == []
    assert nothing["button"]["start_parameter"] == "inline"


async def test_someone_without_avatars_gets_a_button_into_the_bot(world: BotWorld) -> None:
    stranger = world.user(5)  # never wrote to the bot
    answer = await stranger.ask_inline("", chat_type="group")
    assert answer["results"] == []
    assert answer["button"] == {"text": "Make your first avatar", "start_parameter": "inline"}
    newcomer = world.user(6, language_code="ru")
    await newcomer.send_text("/start")
    await newcomer.wait_for(lambda m: "AIVenger" in text_of(m))
    answer = await newcomer.ask_inline("")
    assert answer["button"]["text"] == "Создать первый аватар"


async def test_the_share_button_carries_its_avatar_and_shares_are_counted(
    world: BotWorld,
) -> None:
    ada = await world.started_user(1)
    avatar = await world.avatar_after_photo(ada)
    (first,) = [g for g in await world.generations(ada.id) if g.status == "completed"]
    await clone_avatars(world, first, 3)

    query_id = await ada.press_inline_switch(avatar, "↗️ Share", chat_type="group")
    answer = await ada.inline_answer(query_id)
    assert [r["id"] for r in answer["results"]] == [first.id]
    sent = ada.choose_inline_result(query_id, first.id)
    assert sent["photo"][-1]["file_id"] == first.telegram_file_id
    assert "via_bot" in sent

    async def shares() -> list[Share]:
        async with unit_of_work(world.services.sessions) as session:
            return list(await session.scalars(select(Share)))

    for _ in range(100):
        if await shares():
            break
        await asyncio.sleep(0.05)
    assert [(s.user_id, s.generation_id) for s in await shares()] == [(1, first.id)]
    assert world.app.bot_data.metrics.shares._value.get() == 1
    admin = await world.started_user(ADMIN)
    await admin.send_text("/stats")
    stats = await admin.wait_for(lambda m: "Stats" in text_of(m))
    assert "Shares today (inline): 1" in text_of(stats)
