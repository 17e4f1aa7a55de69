"""Blob writes overlap the transactions that record them (`core/blobs/pending.py`): the photo's
original is written while the charge-and-queue transaction runs, the avatar while its send mark
does, and each transaction commits only once its write succeeded. A photo waits for the longer
of the two, not both one after the other; a row still never points at a blob that is not there,
and a failed write rolls its transaction back."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.app import Overrides
from core.errors import StorageError
from playground.botapi import FakeUser
from tests.e2e.harness import BotWorld, bot_world, is_avatar, text_of
from tests.fakes import images
from tests.fakes.blobs import FakeBlobStore
from tests.robustness.userview import REFUNDED, STORAGE_DOWN, money, until


class HeldWrites(FakeBlobStore):
    """Writes under `prefix` wait for `release`, then land or raise `failure`."""

    def __init__(self, prefix: str) -> None:
        super().__init__()
        self.prefix = prefix
        self.release = asyncio.Event()
        self.held = 0
        self.failure: BaseException | None = None

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        if key.startswith(self.prefix):
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


def marked_send(seen: list[str]) -> bool:
    return any(s.startswith("UPDATE generations SET") and "delivery" in s for s in seen)


@dataclass
class Held:
    world: BotWorld
    ada: FakeUser
    blobs: HeldWrites


@asynccontextmanager
async def photo_held(
    database_url: str, tmp_path: Path, prefix: str, recorded: Callable[[list[str]], bool]
) -> AsyncIterator[Held]:
    """A photo whose write under `prefix` is held while the statement that records it
    (`recorded`) has already run: the transaction waits for the write to commit."""
    blobs = HeldWrites(prefix)
    async with bot_world(database_url, tmp_path, overrides=Overrides(blobs=blobs)) as world:
        ada = await world.started_user(1)
        with statements(world.services.engine) as seen:
            await ada.send_photo(images.jpeg(640, 480))
            await until(lambda: blobs.held == 1 and recorded(seen))
            yield Held(world, ada, blobs)


async def test_the_charge_runs_while_the_original_is_written(
    database_url: str, tmp_path: Path
) -> None:
    async with photo_held(database_url, tmp_path, "originals/", inserted_job) as held:
        world, ada, blobs = held.world, held.ada, held.blobs
        assert world.model.requests == []  # charged and inserted, not yet committed
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
    async with photo_held(database_url, tmp_path, "originals/", inserted_job) as held:
        world, ada, blobs = held.world, held.ada, held.blobs
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


async def test_the_send_mark_runs_while_the_avatar_is_written(
    database_url: str, tmp_path: Path
) -> None:
    async with photo_held(database_url, tmp_path, "avatars/", marked_send) as held:
        world, ada, blobs = held.world, held.ada, held.blobs
        assert world.emu.calls("sendPhoto") == []  # marked, not yet committed
        blobs.release.set()
        await ada.wait_for(is_avatar, timeout=15)
        rows = await world.settled()

        assert await money(world, 1) == (20, 20)
        assert [row.result_key for row in rows] == [
            key for key in blobs.blobs if key.startswith("avatars/")
        ]


async def test_a_failed_write_of_the_avatar_rolls_the_send_mark_back_and_refunds(
    database_url: str, tmp_path: Path
) -> None:
    async with photo_held(database_url, tmp_path, "avatars/", marked_send) as held:
        world, ada, blobs = held.world, held.ada, held.blobs
        blobs.failure = StorageError("S3 put failed: ServiceUnavailable (HTTP 503)")
        blobs.release.set()
        notice = await ada.wait_for(lambda m: REFUNDED in text_of(m), timeout=15)
        (row,) = await world.settled()

        assert STORAGE_DOWN in text_of(notice)
        assert (row.status, row.error_code, row.result_key) == ("failed", "storage_error", None)
        assert row.delivery is None  # the mark went back with its transaction
        assert await money(world, 1) == (30, 30)
        assert not any(key.startswith("avatars/") for key in blobs.blobs)
        assert world.emu.calls("sendPhoto") == []
