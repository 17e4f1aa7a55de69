"""A checkout we will not accept."""

from __future__ import annotations

from core.errors.base import AIVengerError


class PaymentRefused(AIVengerError):
    """A checkout we will not accept; `reason` names why (the bot turns it into a message)."""

    code = "payment_refused"

    def __init__(self, reason: str) -> None:
        super().__init__(f"payment refused: {reason}")
        self.reason = reason
