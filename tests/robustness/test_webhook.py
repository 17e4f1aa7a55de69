"""In webhook mode the bot's HTTP endpoint is public: only requests carrying the secret token
that the bot registered with Telegram may reach a handler.

The bot runs as `python -m bot` with WEBHOOK_URL set; the emulator accepts its setWebhook and
delivers real updates with the secret, while the test forges requests without it.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from core import inbox
from core.db import create_engine, create_session_factory, unit_of_work
from core.models import Generation, LedgerEntry, User
from playground.botapi import BotApiEmulator
from tests.db_fixtures import sqlite_url
from tests.e2e.harness import OPENROUTER_KEY, TOKEN, BotWorld, bot_world, text_of
from tests.fakes.openrouter import OpenRouterFake
from tests.robustness.bot_process import BotProcess, free_port
from tests.robustness.userview import eventually, inbox_statuses, until

SECRET = "webhook-secret-0123456789"
INTRUDER = 666


def forged_start(update_id: int) -> dict[str, object]:
    person = {"id": INTRUDER, "is_bot": False, "first_name": "Mallory"}
    return {
        "update_id": update_id,
        "message": {
            "message_id": 1,
            "date": int(time.time()),
            "chat": {"id": INTRUDER, "type": "private", "first_name": "Mallory"},
            "from": person,
            "text": "/start",
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
        },
    }


async def row_counts(database_url: str) -> tuple[int, int, int]:
    engine = create_engine(database_url)
    try:
        async with unit_of_work(create_session_factory(engine)) as session:
            return (
                int(await session.scalar(select(func.count(User.id))) or 0),
                int(await session.scalar(select(func.count(LedgerEntry.id))) or 0),
                int(await session.scalar(select(func.count(Generation.id))) or 0),
            )
    finally:
        await engine.dispose()


async def test_webhook_requests_without_the_right_secret_are_refused_and_write_nothing(
    tmp_path: Path,
) -> None:
    database_url = await sqlite_url(tmp_path)
    port = free_port()
    hook = f"http://127.0.0.1:{port}/hook"
    async with (
        BotApiEmulator(token=TOKEN) as emu,
        OpenRouterFake(api_key=OPENROUTER_KEY) as model,
    ):
        bot = BotProcess(
            {
                "TELEGRAM_BOT_TOKEN": TOKEN,
                "OPENROUTER_API_KEY": OPENROUTER_KEY,
                "TELEGRAM_API_BASE_URL": emu.api_base_url,
                "TELEGRAM_FILE_BASE_URL": emu.file_base_url,
                "OPENROUTER_BASE_URL": model.base_url,
                "DATABASE_URL": database_url,
                "STORAGE_URL": f"file:{tmp_path / 'blobs'}",
                "WEBHOOK_URL": hook,
                "WEBHOOK_SECRET": SECRET,
                "WEBHOOK_LISTEN": "127.0.0.1",
                "WEBHOOK_PORT": str(port),
                "WORKERS": "1",
            },
            tmp_path / "bot.log",
        )
        await bot.start()
        try:
            await until(lambda: emu.webhook_url == hook, timeout=30)
            ada = emu.user(1)
            await ada.send_text("/start")  # through Telegram: carries the secret
            await ada.wait_for(lambda m: "Welcome" in text_of(m), timeout=15)
            counts_before = await row_counts(database_url)

            async with httpx.AsyncClient(timeout=10) as client:
                missing = await client.post(hook, json=forged_start(900_001))
                wrong = await client.post(
                    hook,
                    json=forged_start(900_002),
                    headers={"X-Telegram-Bot-Api-Secret-Token": "guessed"},
                )
                near_miss = await client.post(
                    hook,
                    json=forged_start(900_003),
                    headers={"X-Telegram-Bot-Api-Secret-Token": SECRET[:-1]},
                )
            await ada.send_text("/credits")  # the bot is still serving real updates
            await ada.wait_for(lambda m: "Balance" in text_of(m), timeout=15)
        except BaseException:
            print(bot.log())
            raise
        finally:
            await bot.stop()

    assert [missing.status_code, wrong.status_code, near_miss.status_code] == [403, 403, 403]
    assert await row_counts(database_url) == counts_before == (1, 1, 0)
    assert INTRUDER not in {int(c.params.get("chat_id", 0)) for c in emu.calls("sendMessage")}


def authentic(update_id: int, user_id: int, text: str) -> dict[str, object]:
    update = forged_start(update_id)
    message = update["message"]
    assert isinstance(message, dict)
    person = {"id": user_id, "is_bot": False, "first_name": "Ada"}
    message.update(
        chat={"id": user_id, "type": "private", "first_name": "Ada"},
        text=text,
        entities=[{"type": "bot_command", "offset": 0, "length": len(text)}],
        **{"from": person},
    )
    return update


async def test_the_webhook_answers_200_only_after_the_update_is_stored(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A database that cannot take the update gets Telegram a 503, so Telegram sends it again;
    a 200 means the row is there (a crash after it loses nothing)."""
    port = free_port()
    hook = f"http://127.0.0.1:{port}/hook"
    failures = {"left": 0}
    real_store = inbox.store

    async def flaky_store(*args: Any, **kwargs: Any) -> Any:
        if failures["left"] > 0:
            failures["left"] -= 1
            raise OperationalError("INSERT INTO telegram_updates", {}, OSError("database down"))
        return await real_store(*args, **kwargs)

    monkeypatch.setattr(inbox, "store", flaky_store)
    async with bot_world(
        database_url,
        tmp_path,
        webhook_url=hook,
        webhook_secret=SECRET,
        webhook_listen="127.0.0.1",
        webhook_port=port,
    ) as world:
        await until(lambda: world.emu.webhook_url == hook, timeout=30)
        ada = await world.started_user(1)
        before = len(ada.messages)
        headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
        async with httpx.AsyncClient(timeout=10) as client:
            stored = await client.post(
                hook, json=authentic(900_001, 1, "/credits"), headers=headers
            )
            rows_after_200 = await inbox_statuses(world)
            failures["left"] = 1
            refused = await client.post(
                hook, json=authentic(900_002, 1, "/credits"), headers=headers
            )
            rows_after_503 = await inbox_statuses(world)

        failures["left"] = 2  # Telegram's next two deliveries meet a database that is down
        await ada.send_text("/credits")
        await until(lambda: len(balances(ada.messages[before:])) == 2, timeout=20)
        await world.settled()
        info = await world.app.bot.get_webhook_info()
        update_id = world.emu.update_ids("message")[-1]
        await eventually(lambda: _is_done(world, update_id))
        rows = await inbox_statuses(world)

    assert stored.status_code == 200 and 900_001 in rows_after_200
    assert refused.status_code == 503 and 900_002 not in rows_after_503
    assert failures["left"] == 0  # both failed deliveries happened, then one got through
    assert "503" in (info.last_error_message or "")
    assert rows[update_id] == "done"
    assert len(balances(ada.messages[before:])) == 2  # the stored direct one and Telegram's


def balances(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [m for m in messages if "Balance" in text_of(m)]


async def _is_done(world: BotWorld, update_id: int) -> bool:
    return (await inbox_statuses(world)).get(update_id) == "done"
