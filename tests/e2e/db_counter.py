"""Counting what the bot asks of its database, with SQLAlchemy's own events.

Transactions are counted at `begin`, statements at `before_cursor_execute` (the SQLite
`BEGIN IMMEDIATE` the engine issues itself is not a statement of ours). The worker pool's
own loops (claims, sweeps, heartbeats) are left out: they are not the path being measured.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

_POOL_TASKS = ("dispatcher", "sweeper", "generation-")


def _in_pool_task() -> bool:
    try:
        task = asyncio.current_task()
    except RuntimeError:
        return False
    return task is not None and task.get_name().startswith(_POOL_TASKS)


@dataclass
class DatabaseCounter:
    transactions: int = 0
    statements: list[str] = field(default_factory=list)

    def reset(self) -> None:
        self.transactions = 0
        self.statements.clear()


@contextmanager
def counting(engine: AsyncEngine) -> Iterator[DatabaseCounter]:
    counter = DatabaseCounter()
    sync_engine = engine.sync_engine

    def on_begin(_connection: Any) -> None:
        if not _in_pool_task():
            counter.transactions += 1

    def on_statement(*args: Any) -> None:
        statement = str(args[2])
        if not _in_pool_task() and not statement.startswith(("BEGIN", "PRAGMA")):
            counter.statements.append(statement)

    event.listen(sync_engine, "begin", on_begin)
    event.listen(sync_engine, "before_cursor_execute", on_statement)
    try:
        yield counter
    finally:
        event.remove(sync_engine, "begin", on_begin)
        event.remove(sync_engine, "before_cursor_execute", on_statement)
