"""PostgreSQL connections are checked before use only after sitting idle, and a dead one is
replaced, not handed out (`core.pool_ping`)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import exc as sa_exc
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from core.pool_ping import IDLE_SECONDS_BEFORE_PING
from tests.db_fixtures import pg_admin

# The check is PostgreSQL's (SQLite's one connection is local): the shared `engine` fixture,
# on PostgreSQL only.
pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


@pytest.fixture
def pings(engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the liveness checks the pool makes (each is three round trips on asyncpg)."""
    dialect_class = type(engine.sync_engine.dialect)
    real = dialect_class.do_ping
    made: list[int] = []

    def counted(self: Any, dbapi_connection: Any) -> bool:
        made.append(1)
        return bool(real(self, dbapi_connection))

    monkeypatch.setattr(dialect_class, "do_ping", counted)
    return made


async def backend_pid(engine: AsyncEngine) -> int:
    async with engine.begin() as connection:
        return int((await connection.execute(text("SELECT pg_backend_pid()"))).scalar_one())


async def test_a_connection_handed_back_moments_ago_is_used_without_a_check(
    engine: AsyncEngine, pings: list[int]
) -> None:
    pids = {await backend_pid(engine) for _ in range(5)}

    assert len(pids) == 1
    assert pings == []


async def test_a_connection_idle_past_the_window_is_checked_once(
    engine: AsyncEngine, pings: list[int]
) -> None:
    first = await backend_pid(engine)
    await asyncio.sleep(IDLE_SECONDS_BEFORE_PING + 0.2)

    assert await backend_pid(engine) == first
    assert await backend_pid(engine) == first
    assert pings == [1]


async def test_a_connection_the_server_closed_while_idle_is_replaced_before_use(
    engine: AsyncEngine, pings: list[int]
) -> None:
    first = await backend_pid(engine)
    await pg_admin(f"SELECT pg_terminate_backend({first})")
    await asyncio.sleep(IDLE_SECONDS_BEFORE_PING + 0.2)

    second = await backend_pid(engine)

    assert second != first
    assert pings == [1]


async def test_a_connection_closed_within_the_window_fails_one_transaction_then_the_pool_heals(
    engine: AsyncEngine, pings: list[int]
) -> None:
    first = await backend_pid(engine)
    await pg_admin(f"SELECT pg_terminate_backend({first})")

    with pytest.raises(sa_exc.DBAPIError) as failed:
        await backend_pid(engine)

    assert failed.value.connection_invalidated
    assert await backend_pid(engine) != first
    assert pings == []
