"""Telegram's ~30 sends per second, paced from our side so a burst draws (almost) no 429s.

Telegram counts the requests it *accepts* in a sliding one-second window; we only know when a
request started and when its answer came back, and it was accepted somewhere in between. So
a send may start only while fewer than `limit` sends are in flight or ended less than a window
ago: then no window at Telegram's end can hold more than `limit`, whatever the network's
jitter (a bucket refilled at 30/s cannot promise that: requests bunch up on the way). Once
half the window is used, starts are also spaced by window/limit, so requests travel alone and
stay short; below that a send starts at once (an avatar right behind its "⏳", a reply right
behind an edit, need not wait a thirtieth of a second when the budget is nearly unused).

A 429 anyway (another process shares the token, or Telegram counts differently) lowers the
limit by a factor, and clean sends earn it back one by one (AIMD): the rest keep flowing
instead of every request halting for `retry_after`.

Waiting sends are served by priority, then fairly across chats (start-time fair queueing):
a chat's n-th waiting send ranks behind every other chat's first, so one user who makes the
bot send a lot (a button flood) delays only their own answers; within a chat, in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum


class Priority(IntEnum):
    ESSENTIAL = 0  # avatars, answers, edits a user is waiting for
    COSMETIC = 1  # status deletions, chat actions: only when nothing essential waits
    BULK = 2  # broadcast copies: paced on their own, and last in line for every start


@dataclass(frozen=True)
class BudgetPolicy:
    limit: int = 30  # sends Telegram accepts per window (product.md §9)
    window: float = 1.0
    margin: float = 0.02  # seconds added to the window: clocks and timestamps are not exact
    backoff: float = 0.75  # the limit is multiplied by this on a 429
    recover_after: int = 10  # clean sends that earn one unit of limit back


class SendWindow:
    """The arithmetic of the budget, on a clock the caller passes in (no waiting here)."""

    def __init__(self, policy: BudgetPolicy) -> None:
        self.policy = policy
        self.limit = float(policy.limit)
        self.in_flight = 0
        self.limited = 0  # 429s seen
        self._ended: deque[float] = deque()
        self._last_start = -float("inf")
        self._clean = 0

    def recent(self, now: float) -> int:
        """Sends that may still sit in Telegram's window: in flight, or ended within it."""
        while self._ended and self._ended[0] + self.policy.window + self.policy.margin <= now:
            self._ended.popleft()
        return self.in_flight + len(self._ended)

    def delay(self, now: float) -> float | None:
        """Seconds until a send may start: 0 now, None when only an end can free a place."""
        if self.recent(now) >= int(self.limit):
            if not self._ended:
                return None
            return self._ended[0] + self.policy.window + self.policy.margin - now  # > 0
        if self.recent(now) * 2 < self.limit:
            return 0.0
        return max(0.0, self._last_start + self.spacing - now)

    @property
    def spacing(self) -> float:
        return self.policy.window / self.limit

    def start(self, now: float) -> None:
        self.in_flight += 1
        self._last_start = now

    def end(self, now: float, *, limited: bool = False) -> None:
        self.in_flight -= 1
        self._ended.append(now)
        if limited:
            self.limited += 1
            self._clean = 0
            self.limit = max(1.0, self.limit * self.policy.backoff)
        elif self.limit < self.policy.limit:
            self._clean += 1
            if self._clean >= self.policy.recover_after:
                self._clean = 0
                self.limit = min(float(self.policy.limit), self.limit + 1)


class SendBudget:
    """Grants starts by priority; one pump task wakes the head of the queue, not every waiter."""

    def __init__(
        self, policy: BudgetPolicy | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.window = SendWindow(policy or BudgetPolicy())
        self._clock = clock
        self._queue: list[tuple[int, int, int, bool, asyncio.Future[None]]] = []
        self._order = itertools.count()
        self._served = 0  # the fair queue's clock: the slot of the latest granted send
        self._chat_slots: dict[object, int] = {}  # the slot a chat's next send takes
        self._waiting = [0] * len(Priority)  # per priority
        self._changed = asyncio.Event()
        self._pump: asyncio.Task[None] | None = None

    def waiting(self, priority: Priority = Priority.ESSENTIAL) -> int:
        return self._waiting[priority]

    def busy(self) -> bool:
        """Something essential queues, or half the window is spent: cosmetic sends should yield."""
        used = self.window.recent(self._clock())
        return self._waiting[Priority.ESSENTIAL] > 0 or used * 2 >= self.window.limit

    async def acquire(
        self, priority: Priority, *, counted: bool = True, chat: object = None
    ) -> None:
        """Wait for this send's turn; the caller must call `release` once it has an answer.

        An uncounted request (Telegram does not count it as a message: a deletion, a chat
        action) spends nothing, but a cosmetic one still waits behind every essential send.
        `chat` is whom the send goes to: waiting sends are shared fairly between chats.
        """
        now = self._clock()
        if not counted and (priority == Priority.ESSENTIAL or not self._queue):
            return
        slot = self._slot_for(chat)
        if counted and not self._queue and self.window.delay(now) == 0:
            self._served = max(self._served, slot)
            self.window.start(now)
            return
        granted: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._queue, (priority, slot, next(self._order), counted, granted))
        self._waiting[priority] += 1
        self._ensure_pump()
        try:
            await granted
        except asyncio.CancelledError:
            if granted.done() and not granted.cancelled():
                self.release(counted=counted)  # granted just as we were cancelled: hand it back
            raise
        finally:
            self._waiting[priority] -= 1

    def _slot_for(self, chat: object) -> int:
        """The chat's next slot: one past its previous send's, never behind the clock."""
        slot = max(self._served, self._chat_slots.get(chat, 0))
        if chat is not None:
            if len(self._chat_slots) > 10_000:  # slots at or behind the clock carry nothing
                self._chat_slots = {c: s for c, s in self._chat_slots.items() if s > self._served}
            self._chat_slots[chat] = slot + 1
        return slot

    def release(self, *, counted: bool = True, limited: bool = False) -> None:
        if counted:
            self.window.end(self._clock(), limited=limited)
            self._changed.set()

    def _ensure_pump(self) -> None:
        if self._pump is None or self._pump.done():
            self._pump = asyncio.get_running_loop().create_task(self._run_pump(), name="send-pump")

    async def _run_pump(self) -> None:
        while self._queue:
            _, slot, _, counted, head = self._queue[0]
            if head.done():  # its waiter was cancelled
                heapq.heappop(self._queue)
                continue
            self._changed.clear()
            wait = self.window.delay(self._clock()) if counted else 0
            if wait == 0:
                heapq.heappop(self._queue)
                self._served = max(self._served, slot)
                if counted:
                    self.window.start(self._clock())
                head.set_result(None)
                await asyncio.sleep(0)  # let the granted send go before judging the next
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), timeout=wait)
