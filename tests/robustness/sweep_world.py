"""One life of the bot per process: the same Telegram (emulator), model (OpenRouter fake),
database and blob directory across a death and a restart, with a FaultPlan on every way out."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from bot.app import Overrides, build_application
from bot.context import BotApplication
from bot.lifecycle import running
from core.blobs.local import LocalBlobStore
from core.bootstrap import Services
from core.openrouter import OpenRouterImageModel
from core.settings import Settings
from playground.botapi import BotApiEmulator
from tests.e2e.harness import OPENROUTER_KEY, TOKEN, make_settings
from tests.fakes.openrouter import OpenRouterFake
from tests.robustness.fault_injection import (
    FaultPlan,
    FaultyBlobs,
    FaultyModel,
    watch_database,
    watch_telegram,
)

# Short leases and sweeps so a restart recovers in a second or two, not the production 15 s.
FAST_RECOVERY = {
    "sweep_interval_seconds": 0.3,
    "job_lease_seconds": 3.0,
    "inbox_lease_seconds": 1.0,
    "shutdown_grace_seconds": 0.2,
    "openrouter_timeout": 5.0,
}


@dataclass
class Universe:
    """What outlives a process: Telegram, the model, the database, the blob directory."""

    emu: BotApiEmulator
    model: OpenRouterFake
    settings: Settings
    blob_root: Path


@asynccontextmanager
async def universe(database_url: str, data_dir: Path) -> AsyncIterator[Universe]:
    async with (
        BotApiEmulator(token=TOKEN, bot_username="aivenger_test_bot") as emu,
        OpenRouterFake(api_key=OPENROUTER_KEY) as model,
    ):
        emu.pre_checkout_timeout = 3.0
        settings = make_settings(emu, model, database_url, data_dir, **FAST_RECOVERY)
        yield Universe(emu, model, settings, data_dir / "blobs")


@asynccontextmanager
async def process(world: Universe, plan: FaultPlan) -> AsyncIterator[BotApplication]:
    """A running bot whose every I/O passes `plan`. Leaving it after a death runs the
    shutdown hooks, which can no longer reach anything (see fault_injection)."""
    async with httpx.AsyncClient() as http:
        real_model = OpenRouterImageModel(
            client=http,
            api_key=OPENROUTER_KEY,
            base_url=world.settings.openrouter_base_url,
            model=world.settings.openrouter_model,
            timeout=5.0,
            max_attempts=1,
        )
        overrides = Overrides(
            image_model=FaultyModel(real_model, plan),
            blobs=FaultyBlobs(LocalBlobStore(world.blob_root), plan),
        )
        application = build_application(world.settings, overrides=overrides)
        watch_telegram(application, plan)
        opened = application.post_init
        assert opened is not None

        async def post_init(app: BotApplication) -> None:
            await opened(app)
            assert app.bot_data.services is not None
            watch_database(app.bot_data.services.engine, plan)

        application.post_init = post_init  # type: ignore[assignment]
        try:
            async with running(application, poll_timeout=1):
                yield application
        except Exception:
            if not plan.dead:
                raise  # a dead process's shutdown may fail in any way; a live one's may not


def services_of(application: BotApplication) -> Services:
    services = application.bot_data.services
    assert services is not None
    return services


async def until(
    check: Callable[[], Awaitable[bool]], *, timeout: float, plan: FaultPlan | None = None
) -> bool:
    """Poll `check` until it holds (True), the process dies, or time runs out (False)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        if plan is not None and plan.dead:
            return False
        try:
            if await check():
                return True
        except Exception:
            if plan is None or not plan.dead:
                raise
        await asyncio.sleep(0.05)
    return False
