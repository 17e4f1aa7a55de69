"""Make chosen SQL statements fail, through the real engine, as a database error would.

A listener on the engine raises `OperationalError` before the statement reaches the
database, so the transaction fails exactly as it would when the server drops it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine


class InjectedDatabaseError(Exception):
    """The `orig` of an injected OperationalError (what the driver would have raised)."""


@contextmanager
def failing_statements(engine: AsyncEngine, pattern: str, *, times: int = 1) -> Iterator[list[str]]:
    """The next `times` statements matching `pattern` (a regex, case-insensitive) fail;
    yields the statements that were failed."""
    wanted = re.compile(pattern, re.IGNORECASE)
    failed: list[str] = []

    def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if len(failed) < times and wanted.search(statement):
            failed.append(statement)
            raise OperationalError(statement, None, InjectedDatabaseError("injected"))

    target = engine.sync_engine
    event.listen(target, "before_cursor_execute", before)
    try:
        yield failed
    finally:
        event.remove(target, "before_cursor_execute", before)
