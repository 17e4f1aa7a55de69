"""Start and stop an Application in the same order `run_polling` does, with our own receiver
(the durable inbox: bot/update_inbox.py) in place of PTB's Updater, which confirms updates
to Telegram before they are processed."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from bot.context import BotApplication
from bot.polling import fetch_forever
from bot.update_inbox import UpdateInbox
from core.bootstrap import Services
from core.task_stopping import cancel_and_wait

log = logging.getLogger(__name__)


@asynccontextmanager
async def running(
    application: BotApplication,
    *,
    poll: bool = True,
    poll_timeout: int = 10,
    on_failure: Callable[[BaseException], None] | None = None,
) -> AsyncIterator[BotApplication]:
    """`poll=False` (a worker) receives nothing; otherwise polling, or the webhook when
    WEBHOOK_URL is set. `on_failure` hears of a receiver that stopped for good."""
    await application.initialize()
    try:
        if application.post_init:
            await application.post_init(application)
        await application.start()
        try:
            services = application.bot_data.services
            if poll and services is not None:
                async with receiving(
                    application, services, poll_timeout=poll_timeout, on_failure=on_failure
                ):
                    yield application
            else:
                yield application
        finally:
            await application.stop()
            if application.post_stop:
                await application.post_stop(application)
    finally:
        await application.shutdown()
        if application.post_shutdown:
            await application.post_shutdown(application)


@asynccontextmanager
async def receiving(
    application: BotApplication,
    services: Services,
    *,
    poll_timeout: int,
    on_failure: Callable[[BaseException], None] | None = None,
) -> AsyncIterator[UpdateInbox]:
    settings = services.settings
    box = UpdateInbox(
        application,
        services.sessions,
        lease_seconds=settings.inbox_lease_seconds,
        max_attempts=settings.inbox_max_attempts,
        retention_days=settings.inbox_retention_days,
    )
    await box.start()
    fetching: asyncio.Task[None] | None = None
    server = None
    try:
        if settings.webhook_url and settings.webhook_secret:
            from bot.webhook import serve_webhook  # aiohttp costs ~9 MiB: only when serving

            server = await serve_webhook(
                box,
                url=settings.webhook_url,
                secret=settings.webhook_secret.get_secret_value(),
                listen=settings.webhook_listen or "0.0.0.0",  # noqa: S104 - a server listens
                port=settings.webhook_port or 8443,
            )
        else:
            fetching = asyncio.create_task(
                fetch_forever(box, poll_timeout=poll_timeout), name="getUpdates"
            )
            fetching.add_done_callback(lambda task: _report(task, on_failure))
        yield box
    finally:
        await cancel_and_wait(fetching)
        if server is not None:
            await server.cleanup()
        await box.stop(grace=settings.shutdown_grace_seconds)


def _report(task: asyncio.Task[None], on_failure: Callable[[BaseException], None] | None) -> None:
    if task.cancelled() or task.exception() is None:
        return
    error = task.exception()
    assert error is not None
    log.critical("the receiver stopped: %s", error)
    if on_failure is not None:
        on_failure(error)
