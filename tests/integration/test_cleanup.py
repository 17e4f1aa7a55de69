"""`python -m bot cleanup`: planted orphans are reported, and removed only without --dry-run."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any, cast

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core import users
from core.blobs import BlobStore, avatar_key, open_blob_store, original_key
from core.claims import StoredResult, begin_send, complete
from core.cleanup import find_orphans, remove_orphans
from core.clock import utcnow
from core.db import unit_of_work
from core.generations import NewGeneration, insert_queued, new_generation_id
from core.models import Generation

Sessions = async_sessionmaker[AsyncSession]
ROOT = Path(__file__).resolve().parents[2]


def run_cleanup(database_url: str, blob_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": "1:x",
        "OPENROUTER_API_KEY": "x",
        "DATABASE_URL": database_url,
        "STORAGE_URL": f"file:{blob_dir}",
    }
    return subprocess.run(
        [sys.executable, "-m", "bot", "cleanup", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def completed_avatar(
    sessions: Sessions, blobs_dir: Path, *, keep_result: bool
) -> tuple[str, str, str]:
    store = await open_blob_store(f"file:{blobs_dir}")
    original, result = original_key(1), avatar_key(1, "image/png")
    await store.put(original, b"jpeg", "image/jpeg")
    if keep_result:
        await store.put(result, b"png", "image/png")
    gen_id = new_generation_id()
    async with unit_of_work(sessions) as session:
        await users.register(
            session, profile=users.Profile(user_id=1, first_name="Ada"), free_credits=30
        )
        row = await insert_queued(
            session,
            gen_id=gen_id,
            job=NewGeneration(
                1, 1, int(time.time_ns() % 10**9), None, "superhero", None, "1:1", original, 10
            ),
        )
        row.result_key = result
        row.status, row.attempts = "running", 1
        await session.flush()
        await complete(session, gen_id=gen_id, attempt=1, file_id="f", result_message_id=5)
    await store.close()
    return gen_id, original, result


def age(path: Path, seconds: float = 7200) -> None:
    old = time.time() - seconds
    os.utime(path, (old, old))


async def age_row(sessions: Sessions, gen_id: str, seconds: float = 7200) -> None:
    async with unit_of_work(sessions) as session:
        await session.execute(
            update(Generation)
            .where(Generation.id == gen_id)
            .values(updated_at=utcnow() - timedelta(seconds=seconds))
        )


async def test_cleanup_reports_then_removes_exactly_the_orphans(
    sessions: Sessions, database_url: str, tmp_path: Path
) -> None:
    blob_dir = tmp_path / "blobs"
    kept_id, kept_original, kept_result = await completed_avatar(
        sessions, blob_dir, keep_result=True
    )
    stale_id, stale_original, _ = await completed_avatar(sessions, blob_dir, keep_result=False)
    young_id, young_original, _ = await completed_avatar(sessions, blob_dir, keep_result=False)
    await age_row(sessions, stale_id)
    store = await open_blob_store(f"file:{blob_dir}")
    old_orphan, fresh_upload = original_key(2), original_key(3)
    await store.put(old_orphan, b"left by a crash", "image/jpeg")
    await store.put(fresh_upload, b"row about to commit", "image/jpeg")
    await store.close()
    age(blob_dir / old_orphan)

    dry = run_cleanup(database_url, blob_dir, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert f"orphan blob: {old_orphan}" in dry.stdout
    assert f"stale row: generation {stale_id}" in dry.stdout
    assert young_id not in dry.stdout  # changed within --min-age: not touched
    assert fresh_upload not in dry.stdout
    assert "would remove 1 orphan blobs and 1 stale rows" in dry.stdout
    assert (blob_dir / old_orphan).exists()

    done = run_cleanup(database_url, blob_dir)
    assert done.returncode == 0, done.stderr
    assert "removed 1 orphan blobs and 1 stale rows" in done.stdout
    remaining = sorted(str(p.relative_to(blob_dir)) for p in blob_dir.rglob("*") if p.is_file())
    assert remaining == sorted([kept_original, kept_result, fresh_upload, young_original])
    async with unit_of_work(sessions) as session:
        assert await session.get(Generation, kept_id) is not None
        assert await session.get(Generation, stale_id) is None
        assert await session.get(Generation, young_id) is not None
    assert not (blob_dir / stale_original).exists()


class CompletesWhileListed:
    """The real local store; while cleanup lists it, a worker stores and completes an avatar."""

    def __init__(self, inner: BlobStore, on_listed: Callable[[], Awaitable[None]]) -> None:
        self._inner = inner
        self._on_listed = on_listed

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    async def list_keys(self, prefix: str = "") -> AsyncIterator[str]:
        async for key in self._inner.list_keys(prefix):
            yield key
        await self._on_listed()


async def test_an_avatar_completed_while_cleanup_runs_is_left_alone(
    sessions: Sessions, tmp_path: Path
) -> None:
    store = await open_blob_store(f"file:{tmp_path / 'blobs'}")
    original, result = original_key(1), avatar_key(1, "image/png")
    await store.put(original, b"jpeg", "image/jpeg")
    gen_id = new_generation_id()
    async with unit_of_work(sessions) as session:
        await users.register(
            session, profile=users.Profile(user_id=1, first_name="Ada"), free_credits=30
        )
        row = await insert_queued(
            session,
            gen_id=gen_id,
            job=NewGeneration(1, 1, 7, None, "superhero", None, "1:1", original, 10),
        )
        row.status, row.attempts = "running", 1
    await age_row(sessions, gen_id)  # a long model call: the row was last touched long ago

    async def worker_completes() -> None:
        await store.put(result, b"png", "image/png")
        async with unit_of_work(sessions) as session:
            await begin_send(
                session,
                gen_id=gen_id,
                attempt=1,
                lease_seconds=60,
                result=StoredResult(key=result, model_cost=None, model=None),
            )
            await complete(session, gen_id=gen_id, attempt=1, file_id="f", result_message_id=9)

    racing = CompletesWhileListed(store, worker_completes)
    report = await find_orphans(sessions, cast(BlobStore, racing))
    await remove_orphans(sessions, store, report)

    assert (report.stale_rows, report.orphan_blobs) == ([], [])
    assert await store.exists(result) and await store.exists(original)
    async with unit_of_work(sessions) as session:
        row = await session.get(Generation, gen_id)
        assert row is not None and row.status == "completed"
    await store.close()
