"""Stopping background tasks for sure, not just asking them to stop.

A cancellation can be lost on its way through a task: the `CancelledError` unwinds through a
database session whose rollback then raises (its connection was invalidated by the
cancellation itself), the rollback's ordinary exception replaces it, and the loop's `except
Exception` takes it for one more failed round and carries on. Python 3.11's
`asyncio.wait_for` can swallow one as well (CPython gh-86296). A single `cancel()` followed by
`await` then waits forever: a shutdown that never ends, a job heartbeat that renews its lease
for ever. So a stop repeats the cancellation until the task has really ended.
"""

from __future__ import annotations

import asyncio
from typing import Any

RECANCEL_EVERY_SECONDS = 0.5


async def cancel_and_wait(*tasks: asyncio.Future[Any] | None) -> None:
    """Cancel `tasks` (None entries are skipped) and return once every one has ended; their
    results and exceptions are dropped (each task reports its own failures)."""
    pending = {task for task in tasks if task is not None and not task.done()}
    while pending:
        for task in pending:
            task.cancel()
        _, pending = await asyncio.wait(pending, timeout=RECANCEL_EVERY_SECONDS)
    for ended in tasks:
        if ended is not None and not ended.cancelled():
            ended.exception()  # retrieved: no "exception was never retrieved" warning
