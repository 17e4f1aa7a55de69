"""The bot's real Application against the Bot API emulator and the OpenRouter HTTP fake.

Nothing is swapped inside the bot: it reads Settings whose base URLs point at the fakes, and
stores blobs on local disk (or a local S3 server) and rows in a real database.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from bot.app import Overrides, build_application
from bot.context import BotApplication
from bot.lifecycle import running
from core.bootstrap import Services
from core.db import unit_of_work
from core.models import Generation, LedgerEntry, User
from core.settings import Settings
from core.settings_loading import load_settings
from playground.botapi import BotApiEmulator, FakeUser
from tests.fakes.openrouter import OpenRouterFake

TOKEN = "123456:TEST-TOKEN-e2e-aivenger-0000000000"
OPENROUTER_KEY = "sk-or-test-e2e-key-0000"

JsonDict = dict[str, Any]


def is_avatar(message: JsonDict) -> bool:
    return bool(message.get("photo")) and "credits left" in (message.get("caption") or "")


def text_of(message: JsonDict) -> str:
    return str(message.get("text") or message.get("caption") or "")


def buttons(message: JsonDict) -> dict[str, str]:
    """Button text → callback data, for pressing buttons as a user would."""
    markup = message.get("reply_markup") or {}
    return {
        button["text"]: button.get("callback_data", "")
        for row in markup.get("inline_keyboard", [])
        for button in row
    }


@dataclass
class BotWorld:
    emu: BotApiEmulator
    model: OpenRouterFake
    app: BotApplication
    settings: Settings

    @property
    def services(self) -> Services:
        services = self.app.bot_data.services
        assert services is not None
        return services

    def user(self, user_id: int, **profile: Any) -> FakeUser:
        profile.setdefault("first_name", f"User{user_id}")
        return self.emu.user(user_id, **profile)

    async def balance(self, user_id: int) -> int:
        async with unit_of_work(self.services.sessions) as session:
            return int(await session.scalar(select(User.credits).where(User.id == user_id)) or 0)

    async def ledger_sum(self, user_id: int) -> int:
        async with unit_of_work(self.services.sessions) as session:
            total = await session.scalar(
                select(func.coalesce(func.sum(LedgerEntry.delta), 0)).where(
                    LedgerEntry.user_id == user_id
                )
            )
        return int(total or 0)

    async def generations(self, user_id: int | None = None) -> list[Generation]:
        async with unit_of_work(self.services.sessions) as session:
            query = select(Generation).order_by(Generation.created_at)
            if user_id is not None:
                query = query.where(Generation.user_id == user_id)
            return list(await session.scalars(query))

    async def settled(self, timeout: float = 15.0) -> list[Generation]:
        """Wait until no generation is queued or running."""
        async with asyncio.timeout(timeout):
            while True:
                rows = await self.generations()
                if all(row.status not in ("queued", "running") for row in rows):
                    return rows
                await asyncio.sleep(0.05)

    async def started_user(self, user_id: int, **profile: Any) -> FakeUser:
        user = self.user(user_id, **profile)
        await user.send_text("/start")
        await user.wait_for(lambda m: "Welcome" in text_of(m))
        return user

    async def avatar_after_photo(self, user: FakeUser, **photo: Any) -> JsonDict:
        from tests.fakes import images

        before = sum(1 for m in user.messages if is_avatar(m))
        await user.send_photo(photo.pop("data", None) or images.jpeg(640, 480), **photo)
        await user.wait_for(lambda m: sum(1 for x in user.messages if is_avatar(x)) > before)
        await self.settled()
        return [m for m in user.messages if is_avatar(m)][-1]


def make_settings(
    emu: BotApiEmulator, model: OpenRouterFake, database_url: str, data_dir: Path, **extra: Any
) -> Settings:
    values: dict[str, Any] = {
        "telegram_bot_token": emu.token,
        "openrouter_api_key": model_key(model),
        "telegram_api_base_url": emu.api_base_url,
        "telegram_file_base_url": emu.file_base_url,
        "openrouter_base_url": model.base_url,
        "database_url": database_url,
        "storage_url": f"file:{data_dir / 'blobs'}",
        "openrouter_timeout": 10.0,
        "sweep_interval_seconds": 1.0,
        "job_lease_seconds": 10.0,
    }
    values.update(extra)
    return load_settings(**values)


def model_key(model: OpenRouterFake) -> str:
    return OPENROUTER_KEY


@asynccontextmanager
async def bot_world(
    database_url: str,
    data_dir: Path,
    *,
    overrides: Overrides | None = None,
    configure: Callable[[BotApiEmulator, OpenRouterFake], None] | None = None,
    **settings: Any,
) -> AsyncIterator[BotWorld]:
    async with (
        BotApiEmulator(token=TOKEN, bot_username="aivenger_test_bot") as emu,
        OpenRouterFake(api_key=OPENROUTER_KEY) as model,
    ):
        if configure:
            configure(emu, model)
        chosen = make_settings(emu, model, database_url, data_dir, **settings)
        application = build_application(chosen, overrides=overrides)
        async with running(application, poll_timeout=1):
            yield BotWorld(emu, model, application, chosen)
