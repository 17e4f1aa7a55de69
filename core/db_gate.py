"""Who gets the next database connection when they are all taken: the receiver, then jobs.

A burst queues hundreds of transactions for the pool (on SQLite, for its one connection):
three per new photo. The pool serves them in arrival order, so a job that has its avatar
and only needs to mark the send or complete would wait behind every photo that came in
after it, and avatars would trickle out while the intake runs. The gate in front of the pool
lets work that finishes jobs (`jobs_first`, set by the worker pool for its tasks) through
before work that starts new ones. Storing a fetched batch of updates (`receiving`) goes
before even that: Telegram sends the next batch only once this one is stored, so a store
queued behind the intake of the previous batch starved the whole pipeline (a 500-photo burst
fetched its last batch 3 s late, and sends stalled 3 s later).

Within a level the oldest work goes first: an update's transactions queue by when its
processing began (`work_started`), not by when each was asked for, so a photo halfway
through its intake finishes it before the photos that came with it take their first step.
Served step by step instead, a 300-photo burst made its first model call 1.5 s late, and
every avatar went out that much later. Other work queues by when it asked.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import time
import weakref
from collections.abc import AsyncIterator, Callable, Iterator
from contextvars import ContextVar
from enum import IntEnum

from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.pool import Pool, QueuePool


class Urgency(IntEnum):
    RECEIVE = 0  # storing a batch of updates fetched from Telegram: all else starts there
    JOBS = 1  # claiming, sending and completing jobs: the avatars users wait for
    OTHER = 2  # updates, intake, periodic work


_urgency: ContextVar[Urgency] = ContextVar("database_urgency", default=Urgency.OTHER)
_started: ContextVar[float | None] = ContextVar("database_work_started", default=None)


def jobs_first() -> None:
    """This task, and every task it starts from now on, gets connections before others."""
    _urgency.set(Urgency.JOBS)


def work_started() -> None:
    """This task's transactions (and those of tasks it starts) queue as of now."""
    _started.set(time.monotonic())


@contextlib.contextmanager
def receiving() -> Iterator[None]:
    """Transactions opened inside go first; tasks started after the block do not inherit it."""
    token = _urgency.set(Urgency.RECEIVE)
    try:
        yield
    finally:
        _urgency.reset(token)


class DatabaseGate:
    """At most `capacity` transactions at once, the more urgent first, then the oldest work. A
    wait longer than `timeout` raises `sqlalchemy.exc.TimeoutError`, as the pool's own
    checkout would (callers treat it as transient); `on_wait` hears of every wait."""

    def __init__(
        self, capacity: int, *, timeout: float, on_wait: Callable[[], None] | None = None
    ) -> None:
        self._free = capacity
        self._timeout = timeout
        self._on_wait = on_wait
        self._waiting: list[tuple[int, float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    @contextlib.asynccontextmanager
    async def held(self) -> AsyncIterator[None]:
        await self._acquire(_urgency.get())
        try:
            yield
        finally:
            self._release()

    async def _acquire(self, urgency: Urgency) -> None:
        if self._free > 0 and not self._waiting:
            self._free -= 1
            return
        if self._on_wait is not None:
            self._on_wait()
        turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        started = _started.get()
        since = time.monotonic() if started is None else started
        heapq.heappush(self._waiting, (urgency, since, next(self._order), turn))
        try:
            async with asyncio.timeout(self._timeout):
                await turn
        except (asyncio.CancelledError, TimeoutError) as exc:
            if turn.done() and not turn.cancelled():
                self._release()  # handed the slot just as we gave up: pass it on
            else:
                turn.cancel()  # its entry is skipped when its turn comes
            if isinstance(exc, TimeoutError):
                raise PoolTimeout(
                    f"no database connection free within {self._timeout:g} s"
                ) from exc
            raise

    def _release(self) -> None:
        while self._waiting:
            *_, turn = heapq.heappop(self._waiting)
            if not turn.done():  # a cancelled waiter left its entry behind
                turn.set_result(None)  # the slot goes straight to it
                return
        self._free += 1


def _capacity(pool: Pool) -> int | None:
    """How many connections the pool hands out at once; None when it has no limit."""
    if not isinstance(pool, QueuePool):
        return None
    overflow = pool._max_overflow
    return None if overflow < 0 else pool.size() + overflow


_gates: weakref.WeakKeyDictionary[
    asyncio.AbstractEventLoop, weakref.WeakKeyDictionary[Pool, DatabaseGate]
] = weakref.WeakKeyDictionary()


def gate_for(pool: Pool) -> DatabaseGate | None:
    """The gate of this pool on the running loop (tests run several loops)."""
    per_loop = _gates.setdefault(asyncio.get_running_loop(), weakref.WeakKeyDictionary())
    gate = per_loop.get(pool)
    if gate is None:
        capacity = _capacity(pool)
        if capacity is None:
            return None
        timeout = float(pool._timeout)  # type: ignore[attr-defined]
        on_wait = getattr(pool, "warn_exhausted", None)
        gate = per_loop[pool] = DatabaseGate(capacity, timeout=timeout, on_wait=on_wait)
    return gate
