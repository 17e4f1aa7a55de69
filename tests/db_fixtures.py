"""Database fixtures: every database test runs on a SQLite file and on a real PostgreSQL.

PostgreSQL gets a fresh database per test session (migrated once, truncated per test). When
it is unreachable the PostgreSQL half skips locally but fails under CI=true, so CI can never
go green without having tested PostgreSQL.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from core.db import create_engine, create_session_factory
from core.migrate import upgrade_to_head

PG_ADMIN_DSN = os.environ.get("TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/test")
TABLES = (
    "users, credit_ledger, generations, telegram_updates, chat_notices, albums, album_parts, "
    "stickers, shares, broadcasts, broadcast_recipients"
)


def pg_url(database: str) -> str:
    base = PG_ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
    return f"{base}/{database}"


async def pg_admin(sql: str) -> None:
    connection = await asyncpg.connect(PG_ADMIN_DSN, timeout=5)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


def run_blocking(coroutine: Coroutine[Any, Any, None]) -> None:
    """Run set-up on its own loop in a thread: session fixtures may be entered from a test's loop."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, coroutine).result()


def unreachable_postgres(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"PostgreSQL is required under CI and is unreachable: {reason}")
    pytest.skip(f"PostgreSQL unreachable: {reason}")


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A migrated, throw-away PostgreSQL database for this test session."""
    name = f"aivenger_test_{uuid.uuid4().hex[:10]}"
    try:
        run_blocking(pg_admin(f'CREATE DATABASE "{name}"'))
    except (OSError, asyncpg.PostgresError) as exc:
        unreachable_postgres(str(exc))
    url = pg_url(name)

    async def migrate() -> None:
        engine = create_engine(url)
        await upgrade_to_head(engine)
        await engine.dispose()

    run_blocking(migrate())
    yield url
    run_blocking(pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def sqlite_url(directory: Path) -> str:
    url = f"sqlite+aiosqlite:///{directory / 'aivenger.db'}"
    engine = create_engine(url)
    await upgrade_to_head(engine)
    await engine.dispose()
    return url


async def truncate(url: str) -> None:
    engine = create_engine(url)
    async with engine.begin() as connection:
        await connection.execute(text(f"TRUNCATE {TABLES} CASCADE"))
    await engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty database: a SQLite file, then PostgreSQL."""
    if request.param == "sqlite":
        return await sqlite_url(tmp_path)
    url: str = request.getfixturevalue("postgres_database")
    await truncate(url)
    return url


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()


@pytest.fixture
def sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return create_session_factory(engine)
