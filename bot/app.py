"""The PTB Application around the core's composition root (`core.bootstrap`).

Resources open in post_init and close in post_shutdown; workers are stopped in post_stop,
while the bot can still send, so in-flight avatars are delivered before the process exits.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from telegram.constants import ParseMode
from telegram.ext import ApplicationBuilder, ContextTypes, Defaults

from bot.alerts import AdminAlerts
from bot.background import start_loops, stop_loops
from bot.broadcast_sender import TelegramBroadcastSender
from bot.commands import register_commands
from bot.context import BotApplication, BotContext, BotData
from bot.delivery import TelegramDelivery
from bot.handlers import register_handlers
from bot.handlers.errors import on_error
from bot.health import start_health_server
from bot.metrics import CountingRequest, Metrics
from bot.ratelimit import PriorityRateLimiter
from bot.stars import StarsSync
from bot.sticker_studio import TelegramStickerStudio
from core.blobs import BlobStore
from core.bootstrap import open_services
from core.events import EventFanout, JobEvents
from core.image_model import ImageModel
from core.openrouter import OpenRouterImageModel
from core.settings import Settings
from core.workers import WorkerPool

log = logging.getLogger(__name__)

Hook = Callable[[BotApplication], Coroutine[Any, Any, None]]

# Telegram's documented overall limit for bots (product.md §9).
TELEGRAM_SENDS_PER_SECOND = 30.0
# Updates handled at once; each waits mostly on I/O (Telegram, the database).
CONCURRENT_UPDATES = 256


@dataclass
class Overrides:
    """Fakes a test may pass instead of the production adapters."""

    image_model: ImageModel | None = None
    blobs: BlobStore | None = None
    events: JobEvents | None = None


def build_application(
    settings: Settings, *, overrides: Overrides | None = None, receive: bool = True
) -> BotApplication:
    """The real Application; `receive=False` builds a worker that never receives updates.

    PTB's Updater is left out: updates come through the durable inbox (bot/lifecycle.py)."""
    chosen = overrides or Overrides()
    metrics = Metrics()
    builder = (
        ApplicationBuilder()
        .token(settings.telegram_bot_token.get_secret_value())
        .base_url(settings.telegram_api_base_url)
        .base_file_url(settings.telegram_file_base_url)
        .context_types(ContextTypes(context=BotContext, bot_data=BotData))
        .defaults(Defaults(parse_mode=ParseMode.HTML))  # every text in the catalogs is HTML
        .rate_limiter(PriorityRateLimiter(per_second=TELEGRAM_SENDS_PER_SECOND, max_retries=3))
        .concurrent_updates(CONCURRENT_UPDATES)
        .request(CountingRequest(metrics, connection_pool_size=64, media_write_timeout=60))
        .post_init(_opener(settings, chosen, receive=receive))
        .post_stop(_stopper(settings))
        .post_shutdown(_closer)
        .updater(None)
    )
    application: BotApplication = builder.build()  # type: ignore[assignment]
    if receive:
        register_handlers(application, rate_limit_per_minute=settings.rate_limit_per_minute)
    application.add_error_handler(on_error)
    application.bot_data.metrics = metrics
    return application


def _opener(settings: Settings, chosen: Overrides, *, receive: bool) -> Hook:
    async def post_init(application: BotApplication) -> None:
        metrics = application.bot_data.metrics
        alerts = AdminAlerts(application.bot, settings.admin_user_ids)
        observers = [metrics, chosen.events, alerts]
        services = await open_services(
            settings,
            delivery=TelegramDelivery(application.bot),
            events=EventFanout(*(o for o in observers if o is not None)),
            image_model=chosen.image_model,
            blobs=chosen.blobs,
            role="run" if receive else "worker",
            sticker_studio=TelegramStickerStudio(application.bot),
            broadcast_sender=TelegramBroadcastSender(application.bot),
        )
        application.bot_data.services = services
        if isinstance(services.image_model, OpenRouterImageModel):
            await services.image_model.check_models()  # warns only; bounded to a few seconds
        alerts.use_accounts(services.features.accounts.language_of)
        metrics.track_in_flight(lambda: services.pool.in_flight)
        if isinstance(application.bot.rate_limiter, PriorityRateLimiter):
            application.bot.rate_limiter.coming = _sends_coming(application, services.pool)
        await services.pool.start()
        application.bot_data.loops = start_loops(application.bot, settings, services.features)
        if services.broadcaster is not None and settings.workers > 0:
            await services.broadcaster.start()  # the worker side runs broadcasts
        stars = StarsSync(
            application.bot,
            sessions=services.sessions,
            payments=services.stars,
            language_of=services.features.accounts.language_of,
            interval=settings.stars_reconcile_interval_seconds,
        )
        application.bot_data.stars = stars
        stars.start()  # reconciles now (start-up) and then every few minutes
        if settings.health_port:
            application.bot_data.health = start_health_server(
                services,
                metrics,
                settings.health_port,
                host=settings.health_listen,
                metrics_token=settings.metrics_token,
            )
        if receive:
            await register_commands(application)
        log.info(
            "started: workers=%d receive=%s instance=%s",
            settings.workers,
            receive,
            services.pool.instance_id,
        )

    return post_init


def _sends_coming(application: BotApplication, pool: WorkerPool) -> Callable[[], int]:
    """Messages on their way: each update being handled or queued answers at least once, each
    generation in flight sends an avatar. A burst shows here before it fills the send queue."""
    processor = application.update_processor

    def coming() -> int:
        updates = processor.current_concurrent_updates + application.update_queue.qsize()
        return updates + pool.in_flight

    return coming


def _stopper(settings: Settings) -> Hook:
    async def post_stop(application: BotApplication) -> None:
        await stop_loops(application.bot_data.loops)
        application.bot_data.loops = []
        services = application.bot_data.services
        if application.bot_data.stars is not None:
            await application.bot_data.stars.stop()
            application.bot_data.stars = None
        if services is not None:
            if services.broadcaster is not None:
                await services.broadcaster.stop()
            await services.pool.stop(grace=settings.shutdown_grace_seconds)

    return post_stop


async def _closer(application: BotApplication) -> None:
    if application.bot_data.health is not None:
        application.bot_data.health.stop()
        application.bot_data.health = None
    services = application.bot_data.services
    if services is not None:
        await services.close()
        application.bot_data.services = None
