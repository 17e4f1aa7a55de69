"""The port between a job and the user: what a finished or failed avatar carries, what a send
returned, how it reaches the user (`AvatarDelivery`, implemented in the bot) and the job policy."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True, kw_only=True)
class FinishedAvatar:
    generation_id: str
    user_id: int
    chat_id: int
    source_message_id: int
    style: str
    image: bytes
    content_type: str
    balance: int
    language: str | None
    resent: bool = False  # a crash cut the first send off: it may have arrived, say so


@dataclass(frozen=True, slots=True, kw_only=True)
class FailedAvatar:
    generation_id: str
    user_id: int
    chat_id: int
    status_message_id: int | None
    error_code: str
    refunded: bool
    credits_used: int
    balance: int
    language: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Delivered:
    """What a send returned; `confirmed=False` when its answer never came (maybe delivered)."""

    file_id: str | None
    message_id: int | None
    confirmed: bool = True


class AvatarDelivery(Protocol):
    """How a finished avatar (or the news that it failed) reaches the user."""

    async def deliver(self, avatar: FinishedAvatar) -> Delivered:
        """Send the avatar. Raise `DeliveryError` only when it surely did not reach the user;
        a send that may have reached them returns `Delivered(confirmed=False)`."""
        ...

    async def report_failure(self, failure: FailedAvatar) -> None: ...

    async def clear_status(self, chat_id: int, message_id: int) -> None:
        """Remove the "⏳" message of a delivered avatar; may fail (it is cosmetic)."""

    async def show_progress(self, chat_id: int) -> None:
        """Cosmetic "working on it" signal, repeated while the model runs; may be dropped."""

    async def referral_rewarded(
        self, referrer_id: int, referred_name: str, bonus: int, balance: int, language: str | None
    ) -> None:
        """Tell a referrer that the friend they invited earned them a bonus."""

    async def send_in_doubt(self, chat_id: int, language: str | None) -> None:
        """Tell the user an avatar's send was cut off (it may or may not have arrived) and
        where to find it, instead of sending the photo a second time."""


@dataclass(frozen=True, slots=True, kw_only=True)
class JobPolicy:
    lease_seconds: float = 15.0
    max_attempts: int = 3
    refund_on_failure: bool = True
    referral_bonus: int = 0
