"""`python -m bot cleanup [--dry-run]`: report, then remove, orphan blobs and stale rows."""

from __future__ import annotations

from datetime import timedelta

from core.blobs import open_blob_store
from core.cleanup import find_orphans, remove_orphans
from core.db import create_engine, create_session_factory
from core.migrate import upgrade_to_head
from core.settings import Settings


async def run_cleanup(settings: Settings, *, dry_run: bool, min_age: float = 3600.0) -> int:
    engine = create_engine(settings.database_url, pool=settings.db_pool)
    blobs = await open_blob_store(settings.storage_url, s3_endpoint_url=settings.s3_endpoint_url)
    try:
        await upgrade_to_head(engine)
        sessions = create_session_factory(engine)
        report = await find_orphans(sessions, blobs, min_age=timedelta(seconds=min_age))
        for key in report.orphan_blobs:
            print(f"orphan blob: {key}")
        for gen_id in report.stale_rows:
            print(f"stale row: generation {gen_id} (its avatar blob is gone)")
        if not dry_run:
            await remove_orphans(sessions, blobs, report)
        verb = "would remove" if dry_run else "removed"
        print(
            f"cleanup: {verb} {len(report.orphan_blobs)} orphan blobs "
            f"and {len(report.stale_rows)} stale rows"
        )
        return 0
    finally:
        await blobs.close()
        await engine.dispose()
