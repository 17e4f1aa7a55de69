"""`/healthz` and `/metrics` on HEALTH_LISTEN:HEALTH_PORT, served by tornado (PTB's webhook server).

Health means: the database answers within a second and this process's worker loops are
alive. Queue depth and the oldest queued job's age are refreshed at scrape time. Metrics
show purchases and model spend, so they listen on loopback by default and, with
METRICS_TOKEN set, answer only a matching `Authorization: Bearer` header.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import SecretStr
from sqlalchemy import func, select, text
from tornado.httpserver import HTTPServer
from tornado.web import Application, RequestHandler

from bot.metrics import Metrics
from core.bootstrap import Services
from core.clock import utcnow
from core.db import unit_of_work
from core.models import Generation
from core.models import GenerationStatus as Status

log = logging.getLogger(__name__)
DB_TIMEOUT_SECONDS = 1.0


async def database_answers(services: Services) -> bool:
    try:
        async with asyncio.timeout(DB_TIMEOUT_SECONDS):
            async with services.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        return True
    except Exception as exc:
        log.warning("health check: database unreachable: %s", type(exc).__name__)
        return False


async def refresh_queue_gauges(services: Services, metrics: Metrics) -> None:
    async with asyncio.timeout(DB_TIMEOUT_SECONDS), unit_of_work(services.sessions) as session:
        depth, oldest = (
            await session.execute(
                select(func.count(), func.min(Generation.created_at)).where(
                    Generation.status == Status.QUEUED
                )
            )
        ).one()
    metrics.queue_depth.set(depth)
    metrics.oldest_queued_seconds.set((utcnow() - oldest).total_seconds() if oldest else 0)


class _Health(RequestHandler):
    def initialize(self, services: Services) -> None:
        self._services = services

    async def get(self) -> None:
        database = await database_answers(self._services)
        workers = self._services.pool.alive
        healthy = database and workers
        self.set_status(200 if healthy else 503)
        self.set_header("Content-Type", "application/json")
        self.finish(
            json.dumps(
                {
                    "status": "ok" if healthy else "unavailable",
                    "database": "ok" if database else "unreachable",
                    "workers": "ok" if workers else "stopped",
                    "in_flight": self._services.pool.in_flight,
                }
            )
        )


def bearer_matches(header: str | None, token: SecretStr | None) -> bool:
    """True without a token; else only for `Bearer <token>`, compared in constant time."""
    if token is None:
        return True
    scheme, _, presented = (header or "").partition(" ")
    # Digests of equal length: the comparison time tells nothing, not even the token's length.
    given = hashlib.sha256(presented.strip().encode()).digest()
    expected = hashlib.sha256(token.get_secret_value().encode()).digest()
    return hmac.compare_digest(given, expected) and scheme.lower() == "bearer"


class _Metrics(RequestHandler):
    def initialize(self, services: Services, metrics: Metrics, token: SecretStr | None) -> None:
        self._services = services
        self._metrics = metrics
        self._token = token

    async def get(self) -> None:
        if not bearer_matches(self.request.headers.get("Authorization"), self._token):
            self.set_status(401)
            self.set_header("WWW-Authenticate", 'Bearer realm="metrics"')
            self.finish("unauthorized\n")
            return
        try:
            await refresh_queue_gauges(self._services, self._metrics)
        except Exception:
            log.warning("metrics: queue gauges not refreshed", exc_info=True)
        self.set_header("Content-Type", CONTENT_TYPE_LATEST)
        self.finish(generate_latest(self._metrics.registry))


def start_health_server(
    services: Services,
    metrics: Metrics,
    port: int,
    *,
    host: str = "127.0.0.1",
    metrics_token: SecretStr | None = None,
) -> HTTPServer:
    """Serve both endpoints on host:port (HEALTH_LISTEN, loopback unless told otherwise)."""
    app = Application(
        [
            (r"/healthz", _Health, {"services": services}),
            (
                r"/metrics",
                _Metrics,
                {"services": services, "metrics": metrics, "token": metrics_token},
            ),
        ]
    )
    server = HTTPServer(app)
    server.listen(port, address=host)
    log.info(
        "health and metrics on %s:%d (metrics %s)",
        host,
        port,
        "need a bearer token" if metrics_token else "open",
    )
    return server
