"""The ends of a job without an avatar: a send that failed, a lease that expired too often."""

from __future__ import annotations

from core.errors.base import AIVengerError


class DeliveryError(AIVengerError):
    """The avatar could not be sent to the user; `permanent` when retrying cannot help."""

    code = "delivery_failed"

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class RecoveryGaveUp(AIVengerError):
    """A job's lease expired more times than the policy allows."""

    code = "recovery_gave_up"
