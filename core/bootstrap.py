"""The one composition root: Settings → adapters → services; keyword overrides let tests
pass fakes.

Every process role (receiver, worker, cleanup) opens the same graph here and closes it in
reverse order, so there is one way resources are made and released. The bot reaches the
domain only through `Features` (`core.features`), the feature services built here once.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass, field

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from core.blobs import BlobStore, open_blob_store
from core.broadcast_runner import BroadcastRunner, BroadcastSender
from core.db import create_engine, create_session_factory
from core.delivery_port import AvatarDelivery, Delivered, FailedAvatar, FinishedAvatar, JobPolicy
from core.errors import DeliveryError
from core.events import JobEvents
from core.features import Features, build_features
from core.generation_memory import MIB, MemoryBoundedModel, MemoryBudget
from core.http_client import build_http_client
from core.image_model import ImageModel
from core.instance import InstanceIdentity, acquire_identity
from core.jobs import JobRunner
from core.migrate import upgrade_to_head
from core.openrouter import OpenRouterImageModel
from core.payments import invoice_secret
from core.services.stickers import StickerStudio
from core.settings import Settings
from core.star_payments import StarPayments
from core.workers import WorkerPool

log = logging.getLogger(__name__)


@dataclass(kw_only=True)
class Services:
    """The whole graph, for the process's lifecycle (start, health, shutdown) and tests."""

    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    blobs: BlobStore
    http: httpx.AsyncClient
    image_model: ImageModel
    features: Features
    runner: JobRunner
    pool: WorkerPool
    events: JobEvents
    stars: StarPayments
    identity: InstanceIdentity | None = None
    broadcaster: BroadcastRunner | None = None  # None: this process cannot send
    _closed: bool = field(default=False, repr=False)

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        for closing in (self.blobs.close(), self.http.aclose(), self.engine.dispose()):
            try:
                await closing
            except Exception:
                log.warning("closing a resource failed", exc_info=True)
        if self.identity is not None:
            self.identity.release()


class NoDelivery:
    """For roles that never run jobs (cleanup): any attempt to deliver is refused."""

    async def deliver(self, avatar: FinishedAvatar) -> Delivered:
        raise DeliveryError("this process does not deliver avatars")

    async def report_failure(self, failure: FailedAvatar) -> None:
        raise DeliveryError("this process does not deliver avatars")

    async def clear_status(self, chat_id: int, message_id: int) -> None:
        return None

    async def show_progress(self, chat_id: int) -> None:
        return None

    async def referral_rewarded(
        self, referrer_id: int, referred_name: str, bonus: int, balance: int, language: str | None
    ) -> None:
        return None

    async def send_in_doubt(self, chat_id: int, language: str | None) -> None:
        return None


async def open_services(
    settings: Settings,
    *,
    delivery: AvatarDelivery | None = None,
    events: JobEvents | None = None,
    image_model: ImageModel | None = None,
    blobs: BlobStore | None = None,
    sticker_studio: StickerStudio | None = None,
    broadcast_sender: BroadcastSender | None = None,
    migrate: bool = True,
    role: str = "run",
) -> Services:
    """Connect, migrate, and wire the domain; nothing starts running yet (see `pool.start`)."""
    engine = create_engine(settings.database_url, pool=settings.db_pool)
    http = build_http_client(calls_at_once=settings.workers)
    opened_blobs: BlobStore | None = None
    identity: InstanceIdentity | None = None
    try:
        if migrate:
            await upgrade_to_head(engine)
        sessions = create_session_factory(engine)
        opened_blobs = blobs or await open_blob_store(
            settings.storage_url, s3_endpoint_url=settings.s3_endpoint_url
        )
        model = image_model or OpenRouterImageModel(
            client=http,
            api_key=settings.openrouter_api_key.get_secret_value(),
            base_url=settings.openrouter_base_url,
            model=settings.openrouter_model,
            fallback_models=settings.openrouter_fallback_models,
            timeout=settings.openrouter_timeout,
        )
        observer = events or JobEvents()
        identity = acquire_identity(
            role=role, configured=settings.instance_id, database_url=settings.database_url
        )
        runner, pool = _jobs(
            settings, sessions, opened_blobs, model, delivery, observer, identity.instance_id
        )
        broadcaster = (
            BroadcastRunner(
                sessions=sessions,
                sender=broadcast_sender,
                per_second=settings.broadcast_per_second,
                lease_seconds=settings.broadcast_lease_seconds,
            )
            if broadcast_sender is not None
            else None
        )
        features = build_features(
            settings, sessions, opened_blobs, observer, pool, sticker_studio, broadcaster
        )
        stars = StarPayments(
            sessions=sessions,
            invoice_secret=invoice_secret(settings.telegram_bot_token.get_secret_value()),
            events=observer,
        )
    except BaseException:
        with contextlib.suppress(Exception):
            if opened_blobs is not None and blobs is None:
                await opened_blobs.close()
            await http.aclose()
            await engine.dispose()
        if identity is not None:
            identity.release()
        raise
    return Services(
        settings=settings,
        engine=engine,
        sessions=sessions,
        blobs=opened_blobs,
        http=http,
        image_model=model,
        features=features,
        runner=runner,
        pool=pool,
        events=observer,
        stars=stars,
        identity=identity,
        broadcaster=broadcaster,
    )


def _jobs(
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    blobs: BlobStore,
    model: ImageModel,
    delivery: AvatarDelivery | None,
    events: JobEvents,
    instance_id: str,
) -> tuple[JobRunner, WorkerPool]:
    policy = JobPolicy(
        lease_seconds=settings.job_lease_seconds,
        max_attempts=settings.job_max_attempts,
        refund_on_failure=settings.refund_on_failure,
        referral_bonus=settings.referral_bonus,
    )
    runner = JobRunner(
        sessions=sessions,
        blobs=blobs,
        image_model=MemoryBoundedModel(model, MemoryBudget(settings.generation_memory_mb * MIB)),
        delivery=delivery or NoDelivery(),
        policy=policy,
        events=events,
    )
    pool = WorkerPool(
        sessions=sessions,
        runner=runner,
        policy=policy,
        workers=settings.workers,
        sweep_interval=settings.sweep_interval_seconds,
        instance_id=instance_id,
    )
    return runner, pool
