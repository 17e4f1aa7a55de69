"""Telegram's ~30 sends per second, spent on what users wait for first (product.md §9, §10).

PTB's AIORateLimiter enforces the budget and honours RetryAfter; this subclass decides what
may join its queue. While a full second of essential sends (avatars, answers, edits) is
waiting, a chat action, which only decorates a wait, is skipped, and deleting a status
message waits until the backlog drains, so a burst of N photos ends close to L + N/30 s.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

from telegram.ext import AIORateLimiter

Result = bool | dict[str, Any] | list[dict[str, Any]]

SKIPPABLE = frozenset({"sendChatAction"})
DEFERRABLE = frozenset({"deleteMessage"})


class PriorityRateLimiter(AIORateLimiter):
    def __init__(self, *, per_second: float = 30.0, max_retries: int = 3) -> None:
        super().__init__(
            overall_max_rate=per_second, overall_time_period=1, max_retries=max_retries
        )
        self._backlog_limit = per_second
        self._essential = 0
        self._drained = asyncio.Condition()
        self.skipped = 0

    @property
    def saturated(self) -> bool:
        """A second's worth of essential sends is queued or in flight."""
        return self._essential >= self._backlog_limit

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, Result]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> Result:
        if data.get("chat_id") is not None:
            if endpoint in SKIPPABLE and self.saturated:
                self.skipped += 1
                return True
            if endpoint in DEFERRABLE:
                async with self._drained:
                    await self._drained.wait_for(lambda: not self.saturated)
            else:
                return await self._essential_request(
                    callback, args, kwargs, endpoint, data, rate_limit_args
                )
        return await super().process_request(
            callback, args, kwargs, endpoint, data, rate_limit_args
        )

    async def _essential_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, Result]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> Result:
        self._essential += 1
        try:
            return await super().process_request(
                callback, args, kwargs, endpoint, data, rate_limit_args
            )
        finally:
            self._essential -= 1
            if not self.saturated:
                async with self._drained:
                    self._drained.notify_all()
