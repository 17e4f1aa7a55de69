"""The object graph built from Settings; keyword overrides let tests pass fakes.

Every process role (receiver, worker, cleanup) opens the same services here and closes them
in reverse order, so there is one way resources are made and released.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass, field

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from core.avatars import AvatarService, ServicePolicy
from core.blobs import BlobStore, open_blob_store
from core.db import create_engine, create_session_factory
from core.events import JobEvents
from core.generation_memory import MIB, MemoryBoundedModel, MemoryBudget
from core.image_model import ImageModel
from core.instance import InstanceIdentity, acquire_identity
from core.jobs import AvatarDelivery, JobPolicy, JobRunner
from core.migrate import upgrade_to_head
from core.openrouter import OpenRouterImageModel, build_http_client
from core.settings import Settings
from core.workers import WorkerPool

log = logging.getLogger(__name__)


@dataclass
class Services:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    blobs: BlobStore
    http: httpx.AsyncClient
    image_model: ImageModel
    avatars: AvatarService
    runner: JobRunner
    pool: WorkerPool
    events: JobEvents
    identity: InstanceIdentity | None = None
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


async def open_services(
    settings: Settings,
    *,
    delivery: AvatarDelivery,
    events: JobEvents | None = None,
    image_model: ImageModel | None = None,
    blobs: BlobStore | None = None,
    migrate: bool = True,
    role: str = "run",
) -> Services:
    """Connect, migrate, and wire the domain; nothing starts running yet (see `pool.start`)."""
    engine = create_engine(settings.database_url, pool=settings.db_pool)
    http = build_http_client()
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
        job_policy = JobPolicy(
            lease_seconds=settings.job_lease_seconds,
            max_attempts=settings.job_max_attempts,
            refund_on_failure=settings.refund_on_failure,
            referral_bonus=settings.referral_bonus,
        )
        runner = JobRunner(
            sessions=sessions,
            blobs=opened_blobs,
            image_model=MemoryBoundedModel(
                model, MemoryBudget(settings.generation_memory_mb * MIB)
            ),
            delivery=delivery,
            policy=job_policy,
            events=observer,
        )
        identity = acquire_identity(
            role=role, configured=settings.instance_id, database_url=settings.database_url
        )
        pool = WorkerPool(
            sessions=sessions,
            runner=runner,
            policy=job_policy,
            workers=settings.workers,
            sweep_interval=settings.sweep_interval_seconds,
            instance_id=identity.instance_id,
        )
        avatars = AvatarService(
            sessions=sessions,
            blobs=opened_blobs,
            policy=ServicePolicy(
                generation_cost=settings.generation_cost,
                free_credits=settings.free_credits,
                max_active_per_user=settings.max_active_per_user,
            ),
            events=observer,
            on_queued=pool.notify,
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
        settings,
        engine,
        sessions,
        opened_blobs,
        http,
        model,
        avatars,
        runner,
        pool,
        observer,
        identity,
    )
