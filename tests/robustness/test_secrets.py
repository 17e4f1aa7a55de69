"""A whole session at DEBUG logging, through successes and every kind of failure: the bot
token, the OpenRouter key and the storage secret appear in no log line, no stored error text
and no message a user can see."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.logs import REDACTED, configure_logging
from core.db import unit_of_work
from core.models import Generation
from playground.botapi import BotApiEmulator
from tests.db_fixtures import sqlite_url
from tests.e2e.harness import (
    OPENROUTER_KEY,
    TOKEN,
    BotWorld,
    bot_world,
    is_avatar,
    make_settings,
    text_of,
)
from tests.fakes import images
from tests.fakes.openrouter import OpenRouterFake, Outcome
from tests.fakes.s3_server import DUMMY_CREDENTIALS, S3FaultProxy, moto_s3
from tests.robustness.userview import REFUNDED, STORAGE_DOWN

SECRETS = {
    "bot token": TOKEN,
    "bot token secret half": TOKEN.split(":", 1)[1],
    "OpenRouter key": OPENROUTER_KEY,
    "storage secret": DUMMY_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
}
_NOISY = ("httpx", "httpcore", "aiobotocore", "botocore", "aiosqlite", "asyncio", "PIL")


@contextmanager
def restored_logging() -> Iterator[None]:
    """configure_logging owns the root logger; give it back to pytest afterwards."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    levels = {name: logging.getLogger(name).level for name in _NOISY}
    try:
        yield
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in handlers:
            root.addHandler(handler)
        root.setLevel(level)
        for name, old in levels.items():
            logging.getLogger(name).setLevel(old)


async def everything_users_saw(world: BotWorld, *chats: int) -> list[str]:
    seen = [text_of(m) for chat in chats for m in world.emu.user(chat).messages]
    seen += [str(call.params.get("text", "")) for call in world.emu.calls("answerCallbackQuery")]
    async with unit_of_work(world.services.sessions) as session:
        seen += [e or "" for e in await session.scalars(select(Generation.error_message))]
    return seen


async def test_no_secret_reaches_a_log_line_an_error_text_or_a_user_at_debug_level(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    database_url = await sqlite_url(tmp_path)
    log = io.StringIO()
    with moto_s3() as (endpoint_url, bucket), restored_logging():
        async with S3FaultProxy(endpoint_url) as s3:
            storage = {"storage_url": f"s3://{bucket}/secrets", "s3_endpoint_url": s3.endpoint_url}

            def log_at_debug(emu: BotApiEmulator, model: OpenRouterFake) -> None:
                settings = make_settings(
                    emu, model, database_url, tmp_path, log_level="DEBUG", **storage
                )
                configure_logging(settings, stream=log)

            async with bot_world(
                database_url, tmp_path, configure=log_at_debug, log_level="DEBUG", **storage
            ) as world:
                ada = await world.started_user(1, language_code="en")
                await world.avatar_after_photo(ada)

                world.model.script(Outcome.http(401, "User not found."))  # a bad key
                await ada.send_photo(images.jpeg())
                await ada.wait_for(lambda m: REFUNDED in text_of(m), timeout=15)

                s3.fail("error", method="PUT")  # storage refuses the original
                await ada.send_photo(images.jpeg())
                await ada.wait_for(lambda m: STORAGE_DOWN in text_of(m), timeout=15)
                s3.heal()

                world.emu.fail_next("getFile", times=2, status=502)  # a download fails twice
                await ada.send_photo(images.jpeg())
                await ada.wait_for(lambda m: "couldn't fetch your photo" in text_of(m), timeout=15)

                world.emu.fail_next("sendMessage", status=400, description="Bad Request: boom")
                await ada.send_text("/credits")  # a handler crashes with a traceback
                await ada.wait_for(lambda m: "Something went wrong" in text_of(m), timeout=10)
                await ada.send_text("/credits")
                await ada.wait_for(lambda m: "Balance" in text_of(m), timeout=10)

                world.model.script(Outcome.malformed_json())
                await ada.send_photo(images.jpeg())
                await ada.wait_for(lambda m: REFUNDED in text_of(m), timeout=15)
                await ada.wait_for(is_avatar, since=0)
                await world.settled()
                seen = await everything_users_saw(world, 1)

    lines = log.getvalue()
    printed = capsys.readouterr()
    assert " DEBUG " in lines and "Traceback" in lines  # the noisy paths really ran
    assert f"/bot{REDACTED}" in lines  # PTB logs its API URL: redaction did happen
    for name, secret in SECRETS.items():
        assert secret not in lines, f"{name} in the logs"
        assert secret not in printed.out + printed.err, f"{name} printed"
        assert not [text for text in seen if secret in text], f"{name} shown to a user"
