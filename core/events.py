"""What happens to jobs, for whoever wants to know (metrics, admin alerts).

The runner and the submission service call these hooks with plain data (no ORM rows); the
default observer does nothing, and the composition root plugs in real ones. Hooks must be
quick and must not raise.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core.models import Generation


@dataclass(frozen=True, slots=True, kw_only=True)
class JobSummary:
    """A job as observers see it."""

    generation_id: str
    user_id: int
    created_at: datetime
    error_message: str | None = None  # why it failed, for a failed job

    @classmethod
    def of(cls, row: Generation) -> JobSummary:
        return cls(
            generation_id=row.id,
            user_id=row.user_id,
            created_at=row.created_at,
            error_message=row.error_message,
        )


class JobEvents:
    """Observer of generation outcomes."""

    def submitted(self, job: JobSummary) -> None:
        """A photo was accepted, charged and queued."""

    def completed(self, job: JobSummary) -> None:
        """An avatar was delivered."""

    def failed(self, job: JobSummary, error_code: str, refunded: bool) -> None:
        """A generation ended without an avatar."""

    def model_answered(self, seconds: float, cost: float | None, model: str = "") -> None:
        """The image model returned an image; `model` is the one that answered."""

    def credits_moved(self, kind: str, amount: int) -> None:
        """A committed ledger movement (grant, charge, refund, purchase...), for accounting."""


class EventFanout(JobEvents):
    """Passes every event to several observers, so metrics and alerts stay independent."""

    def __init__(self, *observers: JobEvents) -> None:
        self._observers = observers

    def submitted(self, job: JobSummary) -> None:
        for observer in self._observers:
            observer.submitted(job)

    def completed(self, job: JobSummary) -> None:
        for observer in self._observers:
            observer.completed(job)

    def failed(self, job: JobSummary, error_code: str, refunded: bool) -> None:
        for observer in self._observers:
            observer.failed(job, error_code, refunded)

    def model_answered(self, seconds: float, cost: float | None, model: str = "") -> None:
        for observer in self._observers:
            observer.model_answered(seconds, cost, model)

    def credits_moved(self, kind: str, amount: int) -> None:
        for observer in self._observers:
            observer.credits_moved(kind, amount)
