"""Engine and session factory for SQLite (embedded) and PostgreSQL (scaled out).

SQLite allows one writer at a time. Rather than letting concurrent transactions race into
"database is locked", each process uses a single pooled connection in WAL mode with
`BEGIN IMMEDIATE`: transactions queue in the pool (async, not blocking the loop) and
another process (a cleanup run, a restarted bot) waits on the busy timeout.

On PostgreSQL each process holds at most `size + max_overflow` connections (DB_POOL_SIZE,
DB_MAX_OVERFLOW): the sum over all processes must stay under the server's `max_connections`.
A checkout beyond that waits up to `timeout` seconds (DB_POOL_TIMEOUT), logging a warning,
then raises `sqlalchemy.exc.TimeoutError`, which callers treat as a transient failure.
"""

from __future__ import annotations

import logging
import time
import weakref
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import AsyncAdaptedQueuePool

from core.db_gate import gate_for
from core.pool_ping import ping_when_idle
from core.sqlite_driver import one_trip_dbapi

SQLITE_BUSY_TIMEOUT_SECONDS = 30
log = logging.getLogger(__name__)
# Raised when no pooled connection freed up within DB_POOL_TIMEOUT: transient, retry later.
PoolTimeout = sa_exc.TimeoutError


@dataclass(frozen=True, kw_only=True)
class PoolLimits:
    """How many PostgreSQL connections one process may hold, and how long a checkout waits."""

    size: int = 5
    max_overflow: int = 5
    timeout: float = 30.0

    @property
    def connections(self) -> int:
        return self.size + self.max_overflow


POOL_DEFAULTS = PoolLimits()


class WarningQueuePool(AsyncAdaptedQueuePool):
    """A queue pool that says so when a checkout has to wait for a free connection."""

    warn_every_seconds = 10.0
    _last_warning = 0.0

    def _do_get(self) -> Any:
        if self.checkedout() >= self.size() + self._max_overflow:
            self.warn_exhausted()
        return super()._do_get()

    def warn_exhausted(self) -> None:
        """Say (every `warn_every_seconds` at most) that a checkout waits for a connection;
        `core.db_gate` calls it too, as it queues transactions before they reach the pool."""
        now = time.monotonic()
        if now - self._last_warning >= self.warn_every_seconds:
            self._last_warning = now
            log.warning(
                "database pool exhausted: all %d connections (DB_POOL_SIZE=%d + "
                "DB_MAX_OVERFLOW=%d) are in use; waiting up to %g s (DB_POOL_TIMEOUT)",
                self.size() + self._max_overflow,
                self.size(),
                self._max_overflow,
                self._timeout,
            )


def create_engine(
    database_url: str, *, echo: bool = False, pool: PoolLimits = POOL_DEFAULTS
) -> AsyncEngine:
    """An engine tuned for the backend named by the URL (`pool` applies to PostgreSQL)."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        _ensure_sqlite_dir(url.database)
        engine = create_async_engine(
            url,
            echo=echo,
            pool_size=1,
            max_overflow=0,
            pool_timeout=120,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS},
            module=one_trip_dbapi(),  # one trip to the driver's thread per statement
        )
        _configure_sqlite(engine)
        return engine
    engine = create_async_engine(
        url,
        echo=echo,
        poolclass=WarningQueuePool,
        pool_size=pool.size,
        max_overflow=pool.max_overflow,
        pool_timeout=pool.timeout,
        pool_recycle=1800,
    )
    ping_when_idle(engine)  # not pool_pre_ping: three round trips on every checkout
    return engine


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


@asynccontextmanager
async def unit_of_work(
    sessions: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    """One transaction per use case: commit on success, roll back on any error. When every
    connection is taken, jobs get the next one first (`core.db_gate`)."""
    engine = sessions.kw.get("bind")
    gate = gate_for(engine.pool) if isinstance(engine, AsyncEngine) else None
    async with gate.held() if gate else nullcontext(), sessions() as session, session.begin():
        yield session


_single_statement_sessions: weakref.WeakKeyDictionary[
    async_sessionmaker[AsyncSession], async_sessionmaker[AsyncSession]
] = weakref.WeakKeyDictionary()


def single_statement(
    sessions: async_sessionmaker[AsyncSession],
) -> AbstractAsyncContextManager[AsyncSession]:
    """A unit of work of exactly one statement, which is atomic by itself. On PostgreSQL it
    runs in autocommit, without the BEGIN and COMMIT that make a one-statement transaction
    three round trips to the server instead of one; on SQLite (where both are calls into the
    library, and `BEGIN IMMEDIATE` is what queues writers) it is an ordinary unit of work.
    Two statements here would not be one transaction: use `unit_of_work` for those."""
    single = _single_statement_sessions.get(sessions)
    if single is None:
        engine = sessions.kw.get("bind")
        single = sessions
        if isinstance(engine, AsyncEngine) and engine.dialect.name == "postgresql":
            single = async_sessionmaker(
                engine.execution_options(isolation_level="AUTOCOMMIT"), expire_on_commit=False
            )
        _single_statement_sessions[sessions] = single
    return unit_of_work(single)


def is_postgres(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _ensure_sqlite_dir(database: str | None) -> None:
    if database and database != ":memory:":
        from pathlib import Path

        Path(database).parent.mkdir(parents=True, exist_ok=True)


def _configure_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event decide how transactions start.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_SECONDS * 1000}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
