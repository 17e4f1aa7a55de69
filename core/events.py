"""What happens to jobs, for whoever wants to know (metrics, admin alerts).

The runner calls these hooks; the default observer does nothing, and the composition root
plugs in real ones. Hooks must be quick and must not raise.
"""

from __future__ import annotations

from core.models import Generation


class JobEvents:
    """Observer of generation outcomes."""

    def submitted(self, generation: Generation) -> None:
        """A photo was accepted, charged and queued."""

    def completed(self, generation: Generation) -> None:
        """An avatar was delivered."""

    def failed(self, generation: Generation, error_code: str, refunded: bool) -> None:
        """A generation ended without an avatar."""

    def model_answered(self, seconds: float, cost: float | None, model: str = "") -> None:
        """The image model returned an image; `model` is the one that answered."""

    def credits_moved(self, kind: str, amount: int) -> None:
        """A committed ledger movement (grant, charge, refund, purchase...), for accounting."""


class EventFanout(JobEvents):
    """Passes every event to several observers, so metrics and alerts stay independent."""

    def __init__(self, *observers: JobEvents) -> None:
        self._observers = observers

    def submitted(self, generation: Generation) -> None:
        for observer in self._observers:
            observer.submitted(generation)

    def completed(self, generation: Generation) -> None:
        for observer in self._observers:
            observer.completed(generation)

    def failed(self, generation: Generation, error_code: str, refunded: bool) -> None:
        for observer in self._observers:
            observer.failed(generation, error_code, refunded)

    def model_answered(self, seconds: float, cost: float | None, model: str = "") -> None:
        for observer in self._observers:
            observer.model_answered(seconds, cost, model)

    def credits_moved(self, kind: str, amount: int) -> None:
        for observer in self._observers:
            observer.credits_moved(kind, amount)
