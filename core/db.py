"""Engine and session factory for SQLite (embedded) and PostgreSQL (scaled out).

SQLite allows one writer at a time. Rather than letting concurrent transactions race into
"database is locked", each process uses a single pooled connection in WAL mode with
`BEGIN IMMEDIATE`: transactions queue in the pool (async, not blocking the loop) and
another process (a cleanup run, a restarted bot) waits on the busy timeout.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

SQLITE_BUSY_TIMEOUT_SECONDS = 30


def create_engine(database_url: str, *, echo: bool = False) -> AsyncEngine:
    """An engine tuned for the backend named by the URL."""
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
        )
        _configure_sqlite(engine)
        return engine
    return create_async_engine(
        url, echo=echo, pool_size=20, max_overflow=20, pool_pre_ping=True, pool_recycle=1800
    )


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


@asynccontextmanager
async def unit_of_work(
    sessions: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    """One transaction per use case: commit on success, roll back on any error."""
    async with sessions() as session, session.begin():
        yield session


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
