"""`python -m bot cleanup [--dry-run]`: report, then remove, orphan blobs and stale rows.

It opens the same object graph as every other role (`core.bootstrap`), without delivery:
cleanup never runs a job.
"""

from __future__ import annotations

from datetime import timedelta

from core.bootstrap import open_services
from core.cleanup import find_orphans, remove_orphans
from core.settings import Settings


async def run_cleanup(settings: Settings, *, dry_run: bool, min_age: float = 3600.0) -> int:
    services = await open_services(settings, role="cleanup")
    try:
        sessions, blobs = services.sessions, services.blobs
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
        await services.close()
