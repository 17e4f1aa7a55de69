"""Counting what the bot asks of its database, with SQLAlchemy's own events.

Each transaction is recorded with its statements (the SQLite `BEGIN IMMEDIATE` the engine
issues itself is not a statement of ours). Two kinds of work are kept apart from the path
being counted: background tasks (named in `_POOL_TASKS`) and the durable inbox's own
transactions, recognised by the table they touch.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

# The worker pool's loops, the bot's own periodic work (bot/background.py), the broadcast runner
# and the Stars reconciliation.
_POOL_TASKS = (
    "dispatcher",
    "sweeper",
    "generation-",
    "album-questions",
    "queue-places",
    "broadcast",
    "stars-reconciliation",
)
_INBOX_TABLE = "telegram_updates"


def _in_pool_task() -> bool:
    try:
        task = asyncio.current_task()
    except RuntimeError:
        return False
    return task is not None and task.get_name().startswith(_POOL_TASKS)


@dataclass
class DatabaseCounter:
    finished: list[list[str]] = field(default_factory=list)  # each transaction's statements

    @property
    def _handled(self) -> list[list[str]]:
        return [tx for tx in self.finished if not all(_INBOX_TABLE in s for s in tx) or not tx]

    @property
    def transactions(self) -> int:
        """Transactions of the path itself (not the inbox's, not the pool's)."""
        return len(self._handled)

    @property
    def statements(self) -> list[str]:
        return [statement for tx in self._handled for statement in tx]

    @property
    def inbox_transactions(self) -> int:
        return len(self.finished) - len(self._handled)


@contextmanager
def counting(engine: AsyncEngine) -> Iterator[DatabaseCounter]:
    counter = DatabaseCounter()
    sync_engine = engine.sync_engine

    def on_begin(connection: Any) -> None:
        connection.info["counted"] = None if _in_pool_task() else []

    def on_statement(connection: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements = connection.info.get("counted")
        if statements is not None and not statement.startswith(("BEGIN", "PRAGMA")):
            statements.append(statement)

    def on_end(connection: Any) -> None:
        statements = connection.info.pop("counted", None)
        if statements is not None:
            counter.finished.append(statements)

    event.listen(sync_engine, "begin", on_begin)
    event.listen(sync_engine, "before_cursor_execute", on_statement)
    event.listen(sync_engine, "commit", on_end)
    event.listen(sync_engine, "rollback", on_end)
    try:
        yield counter
    finally:
        event.remove(sync_engine, "begin", on_begin)
        event.remove(sync_engine, "before_cursor_execute", on_statement)
        event.remove(sync_engine, "commit", on_end)
        event.remove(sync_engine, "rollback", on_end)
