"""The photo's original is written while the charge-and-queue transaction runs, and that
transaction commits only once the write succeeded: the photo waits for the longer of the two,
not both one after the other, and a job's row still never exists without its photo."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.app import Overrides
from core.errors import StorageError
from tests.e2e.harness import bot_world, is_avatar, text_of
from tests.fakes import images
from tests.fakes.blobs import FakeBlobStore
from tests.robustness.userview import STORAGE_DOWN, money, until


class HeldOriginals(FakeBlobStore):
    """Writes of originals wait for `release`, then land or raise `failure`."""

    def __init__(self) -> None:
        super().__init__()
        self.release = asyncio.Event()
        self.held = 0
        self.failure: BaseException | None = None

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        if key.startswith("originals/"):
            self.held += 1
            await self.release.wait()
            if self.failure is not None:
                raise self.failure
        await super().put(key, data, content_type)


@contextmanager
def statements(engine: AsyncEngine) -> Iterator[list[str]]:
    seen: list[str] = []

    def on_statement(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", on_statement)
    try:
        yield seen
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", on_statement)


def inserted_job(seen: list[str]) -> bool:
    return any(s.startswith("INSERT INTO generations") for s in seen)


async def test_the_charge_runs_while_the_original_is_written(
    database_url: str, tmp_path: Path
) -> None:
    blobs = HeldOriginals()
    async with bot_world(database_url, tmp_path, overrides=Overrides(blobs=blobs)) as world:
        ada = await world.started_user(1)
        with statements(world.services.engine) as seen:
            await ada.send_photo(images.jpeg(640, 480))
            await until(lambda: blobs.held == 1)
            await until(lambda: inserted_job(seen))  # charged and inserted, not yet committed
            assert world.model.requests == []
            assert not any("Creating your superhero" in text_of(m) for m in ada.messages)
            blobs.release.set()
            await ada.wait_for(is_avatar, timeout=15)
        await world.settled()

        assert await money(world, 1) == (20, 20)
        (original,) = [key for op, key in blobs.calls if op == "put" and "originals/" in key]
        assert original in blobs.blobs


async def test_a_failed_write_of_the_original_rolls_the_charge_back(
    database_url: str, tmp_path: Path
) -> None:
    blobs = HeldOriginals()
    async with bot_world(database_url, tmp_path, overrides=Overrides(blobs=blobs)) as world:
        ada = await world.started_user(1)
        with statements(world.services.engine) as seen:
            await ada.send_photo(images.jpeg(640, 480))
            await until(lambda: blobs.held == 1 and inserted_job(seen))
            blobs.failure = StorageError("S3 put failed: ServiceUnavailable (HTTP 503)")
            blobs.release.set()
            refusal = await ada.wait_for(lambda m: STORAGE_DOWN in text_of(m), timeout=15)
        await world.settled()

        assert "refunded" not in text_of(refusal).lower()  # nothing was ever taken
        assert await money(world, 1) == (30, 30)
        assert await world.generations() == []
        assert not any(key.startswith("originals/") for key in blobs.blobs)
        assert world.model.requests == []
        assert not any("Creating your superhero" in text_of(m) for m in ada.messages)
