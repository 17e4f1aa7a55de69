"""Start and stop an Application in the same order `run_polling` does, for the paths that
cannot use it: worker processes (no updater) and tests (their own event loop)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from telegram import Update

from bot.context import BotApplication


@asynccontextmanager
async def running(
    application: BotApplication, *, poll: bool = True, poll_timeout: int = 10
) -> AsyncIterator[BotApplication]:
    await application.initialize()
    try:
        if application.post_init:
            await application.post_init(application)
        if poll and application.updater is not None:
            await application.updater.start_polling(
                poll_interval=0, timeout=poll_timeout, allowed_updates=Update.ALL_TYPES
            )
        await application.start()
        try:
            yield application
        finally:
            if application.updater is not None and application.updater.running:
                await application.updater.stop()
            await application.stop()
            if application.post_stop:
                await application.post_stop(application)
    finally:
        await application.shutdown()
        if application.post_shutdown:
            await application.post_shutdown(application)
