"""Prometheus metrics for one process, in a registry of its own (no global state).

The observer is fed by the job runner and the avatar service (JobEvents); Telegram API errors
are counted where requests are made, so every failed Bot API call is seen once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from telegram.error import TelegramError
from telegram.request import HTTPXRequest

from core.clock import utcnow
from core.events import JobEvents, JobSummary

_LATENCY_BUCKETS = (0.5, 1, 2, 5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 300)


class Metrics(JobEvents):
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.generations = Counter(
            "aivenger_generations",
            "Generations that ended, by outcome and error code",
            ["outcome", "error_code"],
            registry=r,
        )
        self.submitted_total = Counter(
            "aivenger_generations_submitted", "Photos accepted, charged and queued", registry=r
        )
        self.generation_seconds = Histogram(
            "aivenger_generation_seconds",
            "From queued to delivered",
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.model_seconds = Histogram(
            "aivenger_model_seconds",
            "Image model latency (successful calls), by the model that answered",
            ["model"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.model_cost = Counter(
            "aivenger_model_cost_usd",
            "Model spend reported by OpenRouter (usage.cost), by the model that answered",
            ["model"],
            registry=r,
        )
        self.credits = Counter(
            "aivenger_credits", "Credits moved through the ledger, by kind", ["kind"], registry=r
        )
        self.telegram_errors = Counter(
            "aivenger_telegram_api_errors",
            "Failed Bot API calls by error type",
            ["type"],
            registry=r,
        )
        self.shares = Counter(
            "aivenger_inline_shares",
            "Avatars sent into a chat through inline mode (chosen_inline_result)",
            registry=r,
        )
        self.queue_depth = Gauge("aivenger_queue_depth", "Generations queued", registry=r)
        self.oldest_queued_seconds = Gauge(
            "aivenger_oldest_queued_seconds", "Age of the oldest queued generation", registry=r
        )
        self.in_flight = Gauge(
            "aivenger_jobs_in_flight", "Generations running in this process", registry=r
        )

    def track_in_flight(self, read: Callable[[], int]) -> None:
        self.in_flight.set_function(lambda: float(read()))

    def submitted(self, job: JobSummary) -> None:
        self.submitted_total.inc()

    def completed(self, job: JobSummary) -> None:
        self.generations.labels("completed", "").inc()
        self.generation_seconds.observe(max((utcnow() - job.created_at).total_seconds(), 0))

    def failed(self, job: JobSummary, error_code: str, refunded: bool) -> None:
        self.generations.labels("failed", error_code).inc()

    def model_answered(self, seconds: float, cost: float | None, model: str = "") -> None:
        self.model_seconds.labels(model or "unknown").observe(seconds)
        if cost:
            self.model_cost.labels(model or "unknown").inc(cost)

    def credits_moved(self, kind: str, amount: int) -> None:
        self.credits.labels(kind).inc(amount)


_STATUS_TYPES = {
    400: "BadRequest",
    401: "InvalidToken",
    403: "Forbidden",
    404: "EndPointNotFound",
    409: "Conflict",
    429: "RetryAfter",
}


class CountingRequest(HTTPXRequest):
    """PTB's HTTPX request that counts failed Bot API calls by the error PTB will raise."""

    def __init__(self, metrics: Metrics, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._errors = metrics.telegram_errors

    async def do_request(self, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        try:
            status, payload = await super().do_request(*args, **kwargs)
        except TelegramError as exc:  # timeouts and network errors
            self._errors.labels(type(exc).__name__).inc()
            raise
        if status >= 400:
            self._errors.labels(_STATUS_TYPES.get(status, "NetworkError")).inc()
        return status, payload
