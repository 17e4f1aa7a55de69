"""The model chain end to end (product.md §5 "Models come and go"): the real bot, the real
OpenRouter adapter built from Settings, and the OpenRouter fake playing a shut-down model.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from tests.db_fixtures import sqlite_url
from tests.e2e.harness import bot_world, is_avatar, text_of
from tests.fakes import images
from tests.fakes.openrouter import OpenRouterFake

ADMIN = 900
PRIMARY = "google/gemini-2.5-flash-image"  # the default OPENROUTER_MODEL
FALLBACK = "google/gemini-3.1-flash-image"  # the default OPENROUTER_FALLBACK_MODELS
GONE_ALERT = "image model is gone"
UNAVAILABLE = "temporarily unavailable"


def primary_shut_down(emu: object, model: OpenRouterFake) -> None:
    model.catalogue.disable(PRIMARY)


async def test_a_shut_down_primary_still_makes_avatars_through_the_chain(
    database_url: str, tmp_path: Path
) -> None:
    async with bot_world(
        database_url, tmp_path, configure=primary_shut_down, admin_user_ids=[ADMIN]
    ) as world:
        ada = await world.started_user(1)
        admin = await world.started_user(ADMIN)
        avatar = await world.avatar_after_photo(ada)
        await admin.send_text("/stats")
        stats = text_of(await admin.wait_for(lambda m: "Stats" in text_of(m)))

        [row] = await world.generations(1)
        [sent] = world.model.requests
        assert is_avatar(avatar)
        assert sent.json["models"] == [PRIMARY, FALLBACK]
        assert world.model.answered_by == [FALLBACK]
        assert (row.status, row.model) == ("completed", FALLBACK)
        assert await world.balance(1) == 20 == await world.ledger_sum(1)
        assert f"Models: {FALLBACK} × 1" in stats
        assert not [m for m in admin.messages if GONE_ALERT in text_of(m)]


async def test_without_a_chain_a_gone_model_refunds_and_alerts_admins_once_per_incident(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    async with bot_world(
        await sqlite_url(tmp_path),
        tmp_path,
        configure=primary_shut_down,
        admin_user_ids=[ADMIN],
        openrouter_fallback_models="",
    ) as world:
        admin = await world.started_user(ADMIN)
        ada, bob = await world.started_user(1), await world.started_user(2)
        for user in (ada, bob):  # two failures in a row: one incident
            await user.send_photo(images.jpeg())
            notice = await user.wait_for(lambda m: "refunded" in text_of(m))
            assert UNAVAILABLE in text_of(notice)
        await world.settled()
        first = await admin.wait_for(lambda m: GONE_ALERT in text_of(m), since=0)
        alerts_in_first_incident = [m for m in admin.messages if GONE_ALERT in text_of(m)]

        world.model.catalogue.enable(PRIMARY)  # the operator fixed it: the incident ends
        await world.avatar_after_photo(ada)
        world.model.catalogue.disable(PRIMARY)  # and it breaks again: a new incident
        await bob.send_photo(images.jpeg())
        await bob.wait_for(lambda m: "refunded" in text_of(m))
        await world.settled()
        await admin.wait_for(
            lambda m: len([x for x in admin.messages if GONE_ALERT in text_of(x)]) == 2, since=0
        )

        rows = await world.generations()
        assert len(alerts_in_first_incident) == 1
        assert f"No endpoints found for {PRIMARY}" in text_of(first)
        assert "OPENROUTER_FALLBACK_MODELS" in text_of(first)
        assert ["models" in r.json for r in world.model.requests] == [False] * 4
        assert [r.error_code for r in rows if r.status == "failed"] == ["model_gone"] * 3
        assert [r.model for r in rows if r.status == "completed"] == [PRIMARY]
        assert await world.balance(1) == 20 == await world.ledger_sum(1)
        assert await world.balance(2) == 30 == await world.ledger_sum(2)
        assert not [m for m in ada.messages if GONE_ALERT in text_of(m)]
        assert any(
            r.levelno >= logging.ERROR and "model_gone" in r.getMessage() for r in caplog.records
        )


async def test_the_start_up_check_warns_about_a_missing_model_and_the_bot_still_starts(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    missing = "google/gemini-9-imaginary-image"
    async with bot_world(
        await sqlite_url(tmp_path), tmp_path, openrouter_fallback_models=f"{missing},{FALLBACK}"
    ) as world:
        warnings = [
            r.getMessage()
            for r in caplog.records
            if r.levelno == logging.WARNING and r.name == "core.openrouter_catalog"
        ]
        ada = await world.started_user(1)
        await world.avatar_after_photo(ada)

        assert len(warnings) == 1
        assert missing in warnings[0] and "not in OpenRouter's model list" in warnings[0]
        assert len(world.model.model_list_requests) == 1
        assert world.model.requests[0].json["models"] == [PRIMARY, missing, FALLBACK]
        [row] = await world.generations(1)
        assert row.model == PRIMARY


async def test_a_failing_model_list_is_logged_and_does_not_stop_the_bot(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)

    def catalogue_down(emu: object, model: OpenRouterFake) -> None:
        model.model_list_status = 503

    async with bot_world(await sqlite_url(tmp_path), tmp_path, configure=catalogue_down) as world:
        ada = await world.started_user(1)
        await world.avatar_after_photo(ada)

        gave_up = [r.getMessage() for r in caplog.records if "could not check" in r.getMessage()]
        assert len(gave_up) == 1 and "HTTP 503" in gave_up[0]
        assert len(world.model.model_list_requests) == 1
        assert [r.model for r in await world.generations(1)] == [PRIMARY]
