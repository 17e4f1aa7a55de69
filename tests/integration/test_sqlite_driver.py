"""The SQLite engine's driver: one trip to aiosqlite's thread per statement, same answers.

Every statement kind the bot uses runs through `core.db.create_engine` on a real SQLite file:
rows, RETURNING, rowcount, many rows at once, constraint errors, and rollback.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiosqlite
import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, insert, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from core.db import create_engine

_metadata = MetaData()
_things = Table(
    "things",
    _metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String, unique=True, nullable=False),
    Column("count", Integer, nullable=False, default=0),
)


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'driver.db'}")
    async with engine.begin() as connection:
        await connection.run_sync(_metadata.create_all)
    yield engine
    await engine.dispose()


@pytest.fixture
def trips(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every call handed to an aiosqlite connection's thread, by function name."""
    seen: list[str] = []
    original = aiosqlite.Connection._execute

    async def counted(self: aiosqlite.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        seen.append(getattr(fn, "__name__", repr(fn)))
        return await original(self, fn, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
    return seen


async def test_a_transaction_of_two_statements_is_four_trips_to_the_thread(
    engine: AsyncEngine, trips: list[str]
) -> None:
    async with engine.connect() as warm:  # the pool's first connection opens outside the count
        await warm.execute(text("SELECT 1"))
    trips.clear()

    async with engine.begin() as connection:
        await connection.execute(insert(_things).values(name="cape"))
        rows = (await connection.execute(select(_things.c.name))).all()

    assert rows == [("cape",)]
    assert len(trips) == 4, trips  # BEGIN IMMEDIATE, INSERT, SELECT, COMMIT


async def test_rows_returning_rowcount_and_many_rows_come_back_as_from_sqlite(
    engine: AsyncEngine,
) -> None:
    async with engine.begin() as connection:
        await connection.execute(insert(_things), [{"name": f"hero{n}"} for n in range(5)])
        bumped = await connection.execute(
            update(_things).where(_things.c.id <= 3).values(count=_things.c.count + 1)
        )
        returned = await connection.execute(
            update(_things)
            .where(_things.c.name == "hero4")
            .values(count=7)
            .returning(_things.c.id, _things.c.count)
        )
        inserted = await connection.execute(insert(_things).values(name="mask"))

        assert bumped.rowcount == 3
        assert returned.all() == [(5, 7)]
        assert inserted.inserted_primary_key == (6,)
        counts = (await connection.execute(select(_things.c.count).order_by("id"))).scalars()
        assert list(counts) == [1, 1, 1, 0, 7, 0]


async def test_a_constraint_error_raises_and_the_transaction_rolls_back_whole(
    engine: AsyncEngine,
) -> None:
    async def twins() -> None:
        async with engine.begin() as connection:
            await connection.execute(insert(_things).values(name="twin"))
            await connection.execute(insert(_things).values(name="twin"))

    with pytest.raises(IntegrityError):
        await twins()

    async with engine.connect() as connection:
        left = (await connection.execute(select(_things.c.name))).all()
    assert left == []


async def test_a_connection_handed_back_inside_a_transaction_is_rolled_back_by_the_pool(
    engine: AsyncEngine,
) -> None:
    async with engine.connect() as connection:  # behind SQLAlchemy's back, as a cancelled
        driver = (await connection.get_raw_connection()).driver_connection  # task leaves it
        assert driver is not None
        await driver.execute("BEGIN IMMEDIATE")
        await driver.execute("INSERT INTO things (name, count) VALUES ('half done', 0)")

    async with engine.begin() as fresh:  # BEGIN IMMEDIATE fails inside an open transaction
        await fresh.execute(insert(_things).values(name="next"))
    async with engine.connect() as reader:
        names = (await reader.execute(select(_things.c.name))).scalars().all()
    assert names == ["next"]
