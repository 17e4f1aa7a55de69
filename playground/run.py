"""`python -m bot playground`: the real bot, a local Bot API server and a chat page, on 127.0.0.1.

The bot is built by the same `build_application` as production and started in the same order;
only its Settings differ: base URLs point at the emulator, the token is made up (the emulator
accepts only it), and the database and blobs live in a fresh temporary directory that is
removed on exit (`--keep` keeps it). With OPENROUTER_API_KEY set (environment or .env) the
avatars come from OpenRouter; otherwise from `OfflineImageModel`.
"""

from __future__ import annotations

import asyncio
import errno
import os
import shutil
import signal
import sys
import tempfile
import webbrowser
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web
from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.app import Overrides, build_application
from bot.context import BotApplication
from bot.lifecycle import running
from bot.logs import configure_logging
from core.errors import ConfigError
from core.image_model import ImageModel
from core.settings import Settings
from core.settings_loading import load_settings
from playground.botapi import BotApiEmulator
from playground.feed import ChatFeed
from playground.offline_model import OfflineImageModel
from playground.people import People
from playground.web_api import PlayWeb

# Made up; only the local emulator accepts it, and it never leaves this machine.
# Not a secret: only the local emulator accepts it (bot id 42; no real token has this shape).
PLAY_TOKEN = "42:playground-only-not-a-telegram-token"  # noqa: S105
BOT_NAME = "AIVenger"
BOT_USERNAME = "aivenger_play_bot"
HOST = "127.0.0.1"
# Settings requires a key; the offline model never sends it (and logs redact it).
OFFLINE_KEY = "sk-or-playground-unused-key"


class _ModelKey(BaseSettings):
    """Only OPENROUTER_API_KEY, read like Settings reads it (environment, then .env)."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", case_sensitive=False)
    openrouter_api_key: SecretStr | None = None


def openrouter_key() -> str | None:
    key = _ModelKey().openrouter_api_key
    return key.get_secret_value() if key and key.get_secret_value().strip() else None


def play_settings(emu: BotApiEmulator, scratch: Path, key: str | None) -> Settings:
    """The operator's own settings (.env: packs, prices, model...) with Telegram, storage and
    every listening port replaced by the playground's."""
    return load_settings(
        telegram_bot_token=emu.token,
        openrouter_api_key=key or OFFLINE_KEY,
        telegram_api_base_url=emu.api_base_url,
        telegram_file_base_url=emu.file_base_url,
        database_url=f"sqlite+aiosqlite:///{scratch / 'playground.db'}",
        storage_url=f"file:{scratch / 'blobs'}",
        s3_endpoint_url=None,
        webhook_url=None,
        webhook_secret=None,
        health_port=None,
    )


@dataclass
class Playground:
    emu: BotApiEmulator
    people: People
    application: BotApplication
    settings: Settings
    url: str


@asynccontextmanager
async def playground(
    scratch: Path,
    *,
    port: int = 0,
    key: str | None = None,
    model: ImageModel | None = None,
    configure_logs: bool = False,
    on_failure: Callable[[BaseException], None] | None = None,
) -> AsyncIterator[Playground]:
    """Everything running; `port=0` picks a free one. OSError if the port is taken."""
    async with BotApiEmulator(PLAY_TOKEN, BOT_USERNAME, bot_first_name=BOT_NAME) as emu:
        people = People(emu)
        feed = ChatFeed(emu, people.ids)
        settings = play_settings(emu, scratch, key)
        if configure_logs:
            configure_logging(settings)
        chosen = None if key else (model or OfflineImageModel())
        application = build_application(settings, overrides=Overrides(image_model=chosen))
        label = f"OpenRouter ({settings.openrouter_model})" if key else "offline preview"
        page = PlayWeb(emu, people, feed, bot_name=BOT_NAME, model=label)
        runner = web.AppRunner(page.app(), access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        try:
            await web.TCPSite(runner, HOST, port).start()
            url = f"http://{HOST}:{runner.addresses[0][1]}"
            feed.start()
            async with running(application, on_failure=on_failure):
                yield Playground(emu, people, application, settings, url)
        finally:
            await feed.stop()
            await runner.cleanup()


def main(*, port: int, open_browser: bool, keep: bool) -> int:
    try:
        return asyncio.run(_serve(port, open_browser, keep))
    except KeyboardInterrupt:  # a second Ctrl-C while stopping
        return 130


async def _serve(port: int, open_browser: bool, keep: bool) -> int:
    stop = asyncio.Event()
    failure: list[BaseException] = []
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    scratch = Path(tempfile.mkdtemp(prefix="aivenger-playground-"))
    key = openrouter_key()

    def failed(error: BaseException) -> None:  # the bot's receiver stopped for good
        failure.append(error)
        stop.set()

    try:
        started = playground(scratch, port=port, key=key, configure_logs=True, on_failure=failed)
        async with started as play:
            print(f"Playground: {play.url}", flush=True)
            model = (
                "OpenRouter" if key else "offline preview (set OPENROUTER_API_KEY for OpenRouter)"
            )
            print(f"Image model: {model}. Ctrl-C stops it.", flush=True)
            if open_browser and not _open_browser(play.url):
                print("Open the address above in a browser.", flush=True)
            await stop.wait()
            print("Stopping…" if not failure else f"The bot stopped: {failure[0]}", flush=True)
    except ConfigError as exc:
        print(f"aivenger: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        if exc.errno not in (errno.EADDRINUSE, errno.EACCES, errno.EADDRNOTAVAIL):
            raise
        print(
            f"aivenger: cannot listen on {HOST}:{port} ({exc.strerror}); try --port",
            file=sys.stderr,
        )
        return 2
    finally:
        if keep:
            print(f"Kept the playground's database and files in {scratch}", flush=True)
        else:
            shutil.rmtree(scratch, ignore_errors=True)
    return 1 if failure else 0


def _open_browser(url: str) -> bool:
    """A desktop browser only: on a Linux box without a display, webbrowser would start a
    text browser in this terminal."""
    if sys.platform.startswith("linux") and not (
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    ):
        return False
    try:
        return webbrowser.open(url)
    except webbrowser.Error:
        return False
