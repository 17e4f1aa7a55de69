"""Admin tools: /grant, /stats, /user, the admin command menu and the 402 alert."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select

from core.db import unit_of_work
from core.models import LedgerEntry
from tests.db_fixtures import sqlite_url
from tests.e2e.harness import BotWorld, bot_world, text_of
from tests.fakes import images
from tests.fakes.openrouter import Outcome
from tests.robustness.userview import until

ADMIN = 900
UNKNOWN = "I don't know that command. /help lists what I can do."


@pytest.fixture
async def office(database_url: str, tmp_path: Path) -> AsyncIterator[BotWorld]:
    """A running bot with one admin, on SQLite and on PostgreSQL."""
    async with bot_world(database_url, tmp_path, admin_user_ids=[ADMIN]) as world:
        yield world


@pytest.fixture
async def world_with_admin(tmp_path: Path) -> AsyncIterator[BotWorld]:
    """A running bot with one admin, on SQLite only."""
    async with bot_world(await sqlite_url(tmp_path), tmp_path, admin_user_ids=[ADMIN]) as world:
        yield world


async def admin_rows(world: BotWorld, user_id: int) -> list[LedgerEntry]:
    async with unit_of_work(world.services.sessions) as session:
        rows = await session.scalars(
            select(LedgerEntry).where(LedgerEntry.user_id == user_id, LedgerEntry.kind == "admin")
        )
        return list(rows)


async def test_admin_commands_do_not_exist_for_anyone_else(office: BotWorld) -> None:
    user = await office.started_user(1)
    await user.send_text("/nonsense")
    unknown = await user.wait_for(lambda m: "know that command" in text_of(m))
    replies = []
    for command in ("/grant 1 1000", "/refund stxABC", "/stats", "/user 1"):
        sent = await user.send_text(command)
        replies.append(
            await user.wait_for(
                lambda m, after=sent["message_id"]: m["message_id"] > after and bool(text_of(m))
            )
        )

    assert text_of(unknown) == UNKNOWN
    assert [text_of(m) for m in replies] == [UNKNOWN] * 4
    assert all(m.get("entities") == unknown.get("entities") for m in replies)
    assert await office.balance(1) == 30 and await admin_rows(office, 1) == []
    assert office.emu.refunds == []


async def test_a_grant_is_applied_once_even_when_the_command_arrives_twice(
    office: BotWorld,
) -> None:
    user = await office.started_user(1)
    admin = await office.started_user(ADMIN)
    command = await admin.send_text("/grant 1 25 <b>sorry</b> for the outage")
    done = await admin.wait_for(lambda m: "Granted" in text_of(m))
    told = await user.wait_for(lambda m: "You received" in text_of(m), since=0)

    update_id = next(
        update["update_id"]
        for call in office.emu.calls("getUpdates")
        for update in call.response.get("result", [])
        if update.get("message", {}).get("message_id") == command["message_id"]
        and update["message"]["chat"]["id"] == ADMIN
    )
    messages_before = len(admin.messages)
    office.emu.replay_update(update_id)
    await until(lambda: office.emu.confirmed(update_id))  # stored once: never re-run
    await asyncio.sleep(0.3)

    assert "Granted 25 credits to User1" in text_of(done) and "Balance: 55" in text_of(done)
    assert "25 credits" in text_of(told)
    assert len(admin.messages) == messages_before
    assert await office.balance(1) == 55 == await office.ledger_sum(1)
    rows = await admin_rows(office, 1)
    assert [(r.delta, r.idempotency_key, r.reference) for r in rows] == [
        (25, f"admin:{ADMIN}:{command['message_id']}", "<b>sorry</b> for the outage")
    ]


async def test_a_grant_needs_a_known_user_and_a_positive_amount(office: BotWorld) -> None:
    admin = await office.started_user(ADMIN)
    await admin.send_text("/grant 12345 10")
    await admin.wait_for(lambda m: "No user with id 12345" in text_of(m))
    await admin.send_text("/grant 900 -5")
    await admin.wait_for(lambda m: "Usage: /grant" in text_of(m))
    await admin.send_text("/grant")
    await admin.wait_for(lambda m: "Usage: /grant" in text_of(m))

    assert await admin_rows(office, ADMIN) == []


async def test_stats_and_user_report_what_happened(world_with_admin: BotWorld) -> None:
    world = world_with_admin
    user = await world.started_user(1, username="ada")
    admin = await world.started_user(ADMIN)
    await world.avatar_after_photo(user)
    world.model.script(Outcome.refusal("IMAGE_SAFETY"))
    await user.send_photo(images.jpeg())
    await user.wait_for(lambda m: "refunded" in text_of(m))
    await world.settled()

    await admin.send_text("/stats")
    stats = text_of(await admin.wait_for(lambda m: "Stats" in text_of(m)))
    await admin.send_text("/user 1")
    report = text_of(await admin.wait_for(lambda m: "Recent ledger" in text_of(m)))

    assert "Users: 2 (new today: 2)" in stats
    assert "Avatars made: 1" in stats
    assert "Failures: model_refused: 1" in stats
    assert "Refunds: 1 failed avatars" in stats
    assert "Stars earned: 0 ⭐" in stats
    assert "Model spend: $0.0387" in stats
    assert "Models: google/gemini-2.5-flash-image × 1" in stats
    assert "User1 @ada (id 1)" in report and "Balance: 20" in report
    assert "+30 welcome credits" in report and "−10 avatar" in report
    assert "completed · Superhero" in report and "failed · Superhero" in report
    assert "model_refused" in report


async def test_admin_commands_are_in_the_admin_menu_only(world_with_admin: BotWorld) -> None:
    everyone = [c["command"] for c in world_with_admin.emu.my_commands()]
    admin_scope = {"type": "chat", "chat_id": ADMIN}
    admin_menu = [c["command"] for c in world_with_admin.emu.my_commands(admin_scope)]
    admin_menu_ru = world_with_admin.emu.my_commands(admin_scope, language_code="ru")

    assert "grant" not in everyone and "buy" in everyone and "invite" in everyone
    assert {"grant", "refund", "stats", "user"} <= set(admin_menu)
    assert set(everyone) <= set(admin_menu)
    assert {"command": "stats", "description": "Админ: статистика"} in admin_menu_ru


async def test_running_out_of_model_credits_alerts_each_admin_once_per_incident(
    world_with_admin: BotWorld,
) -> None:
    world = world_with_admin
    admin = await world.started_user(ADMIN)
    users = [await world.started_user(user_id) for user_id in (1, 2, 3)]
    world.model.script(*[Outcome.http(402, "Insufficient credits")] * 3)
    for user in users:
        await user.send_photo(images.jpeg())
    for user in users:
        await user.wait_for(lambda m: "temporarily unavailable" in text_of(m))
    await world.settled()
    await world.avatar_after_photo(users[0])  # the operator topped up: the incident ends
    world.model.script(Outcome.http(402, "Insufficient credits"))
    await users[1].send_photo(images.jpeg())
    await users[1].wait_for(lambda m: "temporarily unavailable" in text_of(m))
    await world.settled()
    await admin.wait_for(
        lambda m: len([x for x in admin.messages if "out of credits" in text_of(x)]) == 2, since=0
    )

    alerts = [m for m in admin.messages if "out of credits" in text_of(m)]
    assert len(alerts) == 2
    assert all("openrouter.ai" in text_of(m) for m in alerts)
    assert [m for m in users[0].messages if "out of credits" in text_of(m)] == []
