"""SQLAlchemy's aiosqlite driver, one trip to the connection's thread per statement.

aiosqlite runs every sqlite3 call in the connection's own thread and hands the result back to
the event loop. SQLAlchemy's adapter makes four such trips per statement (open a cursor,
execute, fetch the rows, close the cursor), and each waits for the loop to come round again.
SQLite has one connection per process (`core.db`), so under a burst every transaction held it
for those round trips: a busy loop, not the database, set how many photos per second got in.
Here a statement is one function run in the thread: execute, fetch every row, read the
description, rowcount and lastrowid, close. A transaction costs its statements plus its
BEGIN and COMMIT, and the pool's rollback of a connection it takes back is skipped when
SQLite says no transaction is open.

The function goes through `aiosqlite.Connection._execute`, the one call every aiosqlite
method is built on; pyproject pins the versions it was tested with.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, cast

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.util.concurrency import await_

__all__ = ["one_trip_dbapi"]

Description = tuple[tuple[Any, ...], ...] | None
_Outcome = tuple[Description, int, int | None, list[Any]]


def _execute(connection: aiosqlite.Connection, sql: str, parameters: Sequence[Any]) -> _Outcome:
    """Runs in the connection's thread: the whole statement, rows included."""
    cursor = connection._conn.cursor()
    try:
        cursor.execute(sql, parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else []
        return description, cursor.rowcount, cursor.lastrowid, rows
    finally:
        cursor.close()


def _executemany(
    connection: aiosqlite.Connection, sql: str, rows: Sequence[Sequence[Any]]
) -> _Outcome:
    cursor = connection._conn.cursor()
    try:
        cursor.executemany(sql, rows)
        return None, cursor.rowcount, cursor.lastrowid, []
    finally:
        cursor.close()


class _FetchedCursor:
    """What SQLAlchemy's adapter asks of an aiosqlite cursor, answered from one trip."""

    arraysize = 1

    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._connection = connection
        self.description: Description = None
        self.rowcount = -1
        self.lastrowid: int | None = None
        self._rows: list[Any] = []

    async def execute(self, sql: str, parameters: Sequence[Any] | None = None) -> None:
        await self._trip(_execute, sql, parameters or ())

    async def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        await self._trip(_executemany, sql, rows)

    async def _trip(self, statement: Callable[..., _Outcome], *args: Any) -> None:
        in_thread = cast(Callable[..., Awaitable[_Outcome]], self._connection._execute)
        outcome = await in_thread(statement, self._connection, *args)
        self.description, self.rowcount, self.lastrowid, self._rows = outcome

    async def fetchall(self) -> list[Any]:
        rows, self._rows = self._rows, []
        return rows

    async def close(self) -> None:
        self._rows = []


class _Cursor(AsyncAdapt_aiosqlite_cursor):
    __slots__ = ()

    def _make_new_cursor(self, connection: Any) -> Any:
        return _FetchedCursor(connection)

    def _aenter_cursor(self, cursor: Any) -> Any:
        return cursor  # nothing to open: no trip


class _Connection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ()
    _cursor_cls = _Cursor

    def rollback(self) -> None:
        """The pool rolls back every connection it takes back; after a commit there is no
        transaction, and asking SQLite (a flag read, no statement) spares the trip."""
        driver = self._connection
        if driver._connection is not None and not driver._conn.in_transaction:
            return
        super().rollback()


class _DBAPI(AsyncAdapt_aiosqlite_dbapi):
    def connect(self, *args: Any, **kwargs: Any) -> _Connection:
        connection = aiosqlite.connect(*args, **kwargs)
        connection._thread.daemon = True  # as SQLAlchemy's own adapter does
        return _Connection(self, cast(Any, await_(connection)))


def one_trip_dbapi() -> Any:
    """The DBAPI module to hand `create_async_engine(module=...)` for sqlite+aiosqlite URLs."""
    return _DBAPI(aiosqlite, sqlite3)
