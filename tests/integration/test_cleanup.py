"""`python -m bot cleanup`: planted orphans are reported, and removed only without --dry-run."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core import users
from core.blobs import avatar_key, open_blob_store, original_key
from core.db import unit_of_work
from core.generations import NewGeneration, complete, insert_queued, new_generation_id

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
        await users.register(session, profile=users.Profile(1, "Ada"), free_credits=30)
        row = await insert_queued(
            session,
            gen_id=gen_id,
            job=NewGeneration(
                1, 1, int(time.time_ns() % 10**9), None, "superhero", None, "1:1", original, 10
            ),
        )
        row.result_key = result
        await complete(session, gen_id=gen_id, file_id="f", result_message_id=5)
    await store.close()
    return gen_id, original, result


def age(path: Path, seconds: float = 3600) -> None:
    old = time.time() - seconds
    os.utime(path, (old, old))


async def test_cleanup_reports_then_removes_exactly_the_orphans(
    sessions: Sessions, database_url: str, tmp_path: Path
) -> None:
    blob_dir = tmp_path / "blobs"
    kept_id, kept_original, kept_result = await completed_avatar(
        sessions, blob_dir, keep_result=True
    )
    stale_id, stale_original, _ = await completed_avatar(sessions, blob_dir, keep_result=False)
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
    assert fresh_upload not in dry.stdout
    assert "would remove 1 orphan blobs and 1 stale rows" in dry.stdout
    assert (blob_dir / old_orphan).exists()

    done = run_cleanup(database_url, blob_dir)
    assert done.returncode == 0, done.stderr
    assert "removed 1 orphan blobs and 1 stale rows" in done.stdout
    remaining = sorted(str(p.relative_to(blob_dir)) for p in blob_dir.rglob("*") if p.is_file())
    assert remaining == sorted([kept_original, kept_result, fresh_upload])
    async with unit_of_work(sessions) as session:
        from core.generations import get

        assert await get(session, kept_id) is not None
        assert await get(session, stale_id) is None
    assert not (blob_dir / stale_original).exists()
