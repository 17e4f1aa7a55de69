"""`AvatarDelivery` twin: remembers what reached the user; can be told to fail."""

from __future__ import annotations

import asyncio
from collections import deque

from core.delivery_port import Delivered, FailedAvatar, FinishedAvatar
from core.errors import DeliveryError


class FakeDelivery:
    def __init__(self) -> None:
        self.delivered: list[FinishedAvatar] = []
        self.failures: list[FailedAvatar] = []
        self._faults: deque[DeliveryError] = deque()
        self._changed = asyncio.Condition()
        self._sent = 0
        self.progress_signals = 0
        self.referrals: list[tuple[int, str, int, int]] = []
        self.cleared: list[tuple[int, int]] = []
        self.in_doubt: list[int] = []

    def fail_next(self, error: DeliveryError, *, times: int = 1) -> None:
        self._faults.extend([error] * times)

    async def deliver(self, avatar: FinishedAvatar) -> Delivered:
        if self._faults:
            raise self._faults.popleft()
        self._sent += 1
        self.delivered.append(avatar)
        await self._notify()
        return Delivered(file_id=f"file-{avatar.generation_id}", message_id=1000 + self._sent)

    async def report_failure(self, failure: FailedAvatar) -> None:
        self.failures.append(failure)
        await self._notify()

    async def clear_status(self, chat_id: int, message_id: int) -> None:
        self.cleared.append((chat_id, message_id))

    async def show_progress(self, chat_id: int) -> None:
        self.progress_signals += 1

    async def referral_rewarded(
        self, referrer_id: int, referred_name: str, bonus: int, balance: int, language: str | None
    ) -> None:
        self.referrals.append((referrer_id, referred_name, bonus, balance))
        await self._notify()

    async def send_in_doubt(self, chat_id: int, language: str | None) -> None:
        self.in_doubt.append(chat_id)
        await self._notify()

    async def wait_for(self, delivered: int = 0, failed: int = 0, timeout: float = 10) -> None:
        """Wait until at least this many avatars were delivered and failures reported."""
        async with asyncio.timeout(timeout), self._changed:
            await self._changed.wait_for(
                lambda: len(self.delivered) >= delivered and len(self.failures) >= failed
            )

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()
