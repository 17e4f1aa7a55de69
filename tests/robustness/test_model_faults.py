"""The image model misbehaves in every way OpenRouter can: the user gets a clear message and
the credits back, an operator problem reaches the logs and the admins, and other users are
served all along.

The bot runs the real OpenRouter adapter over HTTP against the fake, with the production
retry policy (4 attempts, Retry-After honoured) but a fast exponential backoff, so a burst
that outlives the retries takes a second, not ten. Only the hang case gets a short client
timeout: anywhere else a stalled test machine would time out an attempt whose scripted fault
the fake had already served, and the bot's (correct) retry would then succeed.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest

from bot.app import Overrides
from core.openrouter import OpenRouterImageModel
from playground.botapi import BotApiEmulator
from tests.db_fixtures import sqlite_url
from tests.e2e.harness import OPENROUTER_KEY, BotWorld, bot_world, is_avatar, text_of
from tests.fakes import images
from tests.fakes.openrouter import OpenRouterFake, Outcome
from tests.robustness.userview import REFUNDED, avatars, money

FAULTY = "fault-under-test"  # Ada's caption: the fake's faults are routed to her photo only
ADMIN = 900
TIMEOUT = 10.0  # as the e2e harness: no attempt times out on a slow test machine
HANG_TIMEOUT = 0.5  # for the hang case only, whose every attempt is meant to time out
BUSY = "busy right now"


@asynccontextmanager
async def world_with_fast_retries(
    tmp_path: Path, *, timeout: float = TIMEOUT
) -> AsyncIterator[BotWorld]:
    overrides = Overrides()
    async with httpx.AsyncClient() as client:

        def use_fast_retries(emu: BotApiEmulator, model: OpenRouterFake) -> None:
            emu.user(ADMIN, first_name="Operator")
            overrides.image_model = OpenRouterImageModel(
                client=client,
                api_key=OPENROUTER_KEY,
                base_url=model.base_url,
                model="google/gemini-2.5-flash-image",
                timeout=timeout,
                backoff_base=0.05,
            )

        async with bot_world(
            await sqlite_url(tmp_path),
            tmp_path,
            overrides=overrides,
            configure=use_fast_retries,
            admin_user_ids=str(ADMIN),
        ) as world:
            yield world


FAILURES = [
    pytest.param(
        [Outcome.http(429, retry_after=120)], BUSY, TIMEOUT, id="429-retry-after-beyond-budget"
    ),
    pytest.param([Outcome.http(502), Outcome.http(503)] * 2, BUSY, TIMEOUT, id="502-503-burst"),
    pytest.param([Outcome.hang(5)] * 4, "took too long", HANG_TIMEOUT, id="hang-past-timeout"),
    pytest.param([Outcome.malformed_json()], "couldn't use", TIMEOUT, id="malformed-json"),
    pytest.param([Outcome.text_only()], "declined this photo", TIMEOUT, id="text-only"),
    pytest.param([Outcome.refusal("IMAGE_SAFETY")], "declined this photo", TIMEOUT, id="refusal"),
    pytest.param(
        [Outcome.http(402, "Insufficient credits")], "We've been notified", TIMEOUT, id="402"
    ),
]


@pytest.mark.parametrize(("faults", "explanation", "timeout"), FAILURES)
async def test_a_model_fault_is_explained_and_refunded_while_others_are_served(
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    faults: list[Outcome],
    explanation: str,
    timeout: float,
) -> None:
    caplog.set_level(logging.INFO)
    async with world_with_fast_retries(tmp_path, timeout=timeout) as world:
        ada, bob = await world.started_user(1), await world.started_user(2)
        world.model.script_for(FAULTY, *faults)
        await ada.send_photo(images.jpeg(), caption=FAULTY)
        await bob.send_photo(images.jpeg())  # while Ada's photo is failing
        notice = await ada.wait_for(lambda m: REFUNDED in text_of(m), timeout=20)
        await bob.wait_for(is_avatar, timeout=20)
        rows = await world.settled()

        assert explanation in text_of(notice)
        assert "balance: 30" in text_of(notice)
        assert avatars(ada) == []
        assert await money(world, 1) == (30, 30)
        assert len(avatars(bob)) == 1
        assert await money(world, 2) == (20, 20)
        assert sorted(row.status for row in rows) == ["completed", "failed"]
        assert not any(OPENROUTER_KEY in record.getMessage() for record in caplog.records)


async def test_an_empty_openrouter_account_is_logged_and_alerted_without_the_key(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    async with world_with_fast_retries(tmp_path) as world:
        ada = await world.started_user(1)
        admin = world.emu.user(ADMIN)
        world.model.script(Outcome.http(402, "Insufficient credits"))
        await ada.send_photo(images.jpeg())
        await ada.wait_for(lambda m: REFUNDED in text_of(m), timeout=10)
        alert = await admin.wait_for(lambda m: "out of credits" in text_of(m), since=0)

        loud = [r for r in caplog.records if r.levelno >= logging.WARNING]
        assert any("402" in r.getMessage() for r in loud), [r.getMessage() for r in loud]
        assert "402" in text_of(alert)
        every_line = "\n".join(r.getMessage() for r in caplog.records)
        assert OPENROUTER_KEY not in every_line


async def test_a_429_is_retried_after_the_time_the_provider_asked_for(tmp_path: Path) -> None:
    async with world_with_fast_retries(tmp_path) as world:
        ada = await world.started_user(1)
        world.model.script(Outcome.http(429, "Rate limited", retry_after=1))
        await ada.send_photo(images.jpeg())
        await ada.wait_for(is_avatar, timeout=15)

        first, second = world.model.requests
        assert second.at - first.at >= 1.0
        assert await money(world, 1) == (20, 20)


async def test_a_short_burst_of_provider_errors_still_ends_in_an_avatar(tmp_path: Path) -> None:
    async with world_with_fast_retries(tmp_path) as world:
        ada = await world.started_user(1)
        world.model.script(Outcome.http(502), Outcome.http(503), Outcome.http(502))
        await ada.send_photo(images.jpeg())
        await ada.wait_for(is_avatar, timeout=15)
        await world.settled()

        assert len(world.model.requests) == 4
        assert not [m for m in ada.messages if REFUNDED in text_of(m)]
        assert await money(world, 1) == (20, 20)
