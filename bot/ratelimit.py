"""Telegram's send budget spent on what users wait for first (product.md §9, §10).

Every request aimed at a chat goes through one SendBudget (bot/send_budget.py), which paces
starts under Telegram's limit instead of bouncing off it. Telegram counts messages (send,
edit, copy, forward); chat actions and deletions spend nothing. Avatars, answers and edits
are essential; a chat action only decorates a wait, so it is skipped while the budget is
busy, and deleting a status message waits behind every essential send. A 429 still happens
sometimes (another process, another count at Telegram): the request that drew it waits out
its `retry_after` and tries again, the budget lowers its limit, and nothing else halts.
Group chats also keep Telegram's 20 messages per minute per group.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from aiolimiter import AsyncLimiter
from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

from bot.send_budget import BudgetPolicy, Priority, SendBudget

log = logging.getLogger(__name__)

Result = bool | dict[str, Any] | list[dict[str, Any]]
Callback = Callable[..., Coroutine[Any, Any, Result]]

SKIPPABLE = frozenset({"sendChatAction"})
COSMETIC = frozenset({"sendChatAction", "deleteMessage"})
# `rate_limit_args=COSMETIC_SEND` on a message request marks it cosmetic (the queue place on a
# status message): it waits behind every essential send, never makes the budget look busy,
# and is not retried after a 429.
COSMETIC_SEND = -1
BULK = frozenset({"copyMessage"})  # broadcasts: after everything a user is waiting for
_MESSAGE_PREFIXES = ("send", "edit", "copy", "forward", "stop")


def counts_as_message(endpoint: str) -> bool:
    """What Telegram's ~30/s counts: requests that create or change messages."""
    return endpoint.startswith(_MESSAGE_PREFIXES) and endpoint != "sendChatAction"


GROUP_MESSAGES_PER_MINUTE = 20
_MAX_GROUP_LIMITERS = 512


class PriorityRateLimiter(BaseRateLimiter[int]):
    def __init__(self, *, per_second: float = 30.0, max_retries: int = 3) -> None:
        self.budget = SendBudget(BudgetPolicy(limit=max(1, round(per_second))))
        self._max_retries = max_retries
        self._groups: dict[int | str, AsyncLimiter] = {}
        self.skipped = 0
        self.coming: Callable[[], int] = lambda: 0  # essential sends on their way (avatars)

    @property
    def saturated(self) -> bool:
        """Skip cosmetic sends: essential ones queue, half the window is spent, or a second's
        worth of avatars is on its way (a burst: a status message now delays an avatar later)."""
        return self.budget.busy() or self.coming() >= self.budget.window.policy.limit

    @property
    def limited(self) -> int:
        """429s Telegram answered so far."""
        return self.budget.window.limited

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Nothing to close."""

    async def process_request(
        self,
        callback: Callback,
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> Result:
        chat_id = data.get("chat_id")
        if chat_id is None:  # getUpdates, getFile, answerCallbackQuery…: not a send
            return await callback(*args, **kwargs)
        if endpoint in SKIPPABLE and self.saturated:
            self.skipped += 1
            return True
        cosmetic = endpoint in COSMETIC or rate_limit_args == COSMETIC_SEND
        priority = (
            Priority.BULK
            if endpoint in BULK
            else Priority.COSMETIC
            if cosmetic
            else Priority.ESSENTIAL
        )
        retries = rate_limit_args if rate_limit_args is not None else self._max_retries
        retries = max(retries, 0)
        group = self._group_limiter(chat_id)
        for attempt in range(retries + 1):
            try:
                async with group or contextlib.nullcontext():
                    return await self._send(endpoint, chat_id, priority, callback, args, kwargs)
            except RetryAfter as exc:
                if attempt == retries:
                    log.warning(
                        "%s refused by Telegram's flood limit %d times", endpoint, attempt + 1
                    )
                    raise
                wait = retry_after_seconds(exc)
                log.info("%s drew a 429; retrying in %.1f s", endpoint, wait)
                await asyncio.sleep(wait + 0.1)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _send(
        self,
        endpoint: str,
        chat_id: object,
        priority: Priority,
        callback: Callback,
        args: Any,
        kwargs: dict[str, Any],
    ) -> Result:
        counted = counts_as_message(endpoint)
        await self.budget.acquire(priority, counted=counted, chat=chat_id)
        limited = False
        try:
            return await callback(*args, **kwargs)
        except RetryAfter:
            limited = True
            raise
        finally:
            self.budget.release(counted=counted, limited=limited)

    def _group_limiter(self, chat_id: object) -> AsyncLimiter | None:
        key: int | str
        with contextlib.suppress(TypeError, ValueError):
            chat_id = int(chat_id)  # type: ignore[call-overload]
        if (isinstance(chat_id, int) and chat_id < 0) or isinstance(chat_id, str):
            key = chat_id  # a group, or a @channel by name
        else:
            return None
        if key not in self._groups and len(self._groups) >= _MAX_GROUP_LIMITERS:
            idle = [k for k, lim in self._groups.items() if lim.has_capacity(lim.max_rate)]
            for k in idle:
                del self._groups[k]
        limiter = self._groups.get(key)
        if limiter is None:
            limiter = self._groups[key] = AsyncLimiter(GROUP_MESSAGES_PER_MINUTE, 60)
        return limiter


def retry_after_seconds(exc: RetryAfter) -> float:
    """PTB 22 deprecates the int form of `retry_after`; its own limiter reads the timedelta."""
    return float(exc._retry_after.total_seconds())
