"""Finding and removing what a crash can leave behind: blobs without a row, rows without blobs.

Rows are read **before** blobs are listed: every blob a row read here names was written
before that row, so it is in the listing unless it really is gone. (Listing first would miss
an avatar stored and completed in between, and delete its row as "stale".) An original is
stored before its row commits, so a blob seen without a row may belong to a submission in
flight: only blobs last written more than `min_age` ago count as orphans, and only rows last
changed more than `min_age` ago count as stale (a completed avatar whose result blob is gone
can no longer be shown or sent as a file).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.album_tables import AlbumPart
from core.blobs import BlobStore
from core.clock import utcnow
from core.db import unit_of_work
from core.models import Generation
from core.models import GenerationStatus as Status

log = logging.getLogger(__name__)

DEFAULT_MIN_AGE = timedelta(hours=1)


@dataclass
class CleanupReport:
    orphan_blobs: list[str] = field(default_factory=list)
    stale_rows: list[str] = field(default_factory=list)
    removed: bool = False
    cutoff: datetime = field(default_factory=utcnow)  # nothing changed after it is touched


async def find_orphans(
    sessions: async_sessionmaker[AsyncSession],
    blobs: BlobStore,
    *,
    min_age: timedelta = DEFAULT_MIN_AGE,
) -> CleanupReport:
    cutoff = utcnow() - min_age
    async with unit_of_work(sessions) as session:
        rows = (
            await session.execute(
                select(
                    Generation.id,
                    Generation.status,
                    Generation.original_key,
                    Generation.result_key,
                    Generation.updated_at,
                    Generation.extra_original_keys,
                )
            )
        ).all()
        album_parts = set(await session.scalars(select(AlbumPart.original_key)))
    stored = {key async for key in blobs.list_keys()}  # after the rows: see the docstring
    referenced = {key for row in rows for key in (row.original_key, row.result_key) if key}
    referenced |= {key for row in rows for key in json.loads(row.extra_original_keys or "[]")}
    referenced |= album_parts
    report = CleanupReport(cutoff=cutoff)
    for key in sorted(stored - referenced):
        written = await blobs.modified_at(key)
        if written is not None and written <= cutoff:
            report.orphan_blobs.append(key)
    report.stale_rows = sorted(
        row.id
        for row in rows
        if row.status == Status.COMPLETED
        and row.updated_at <= cutoff
        and (row.result_key is None or row.result_key not in stored)
    )
    return report


async def remove_orphans(
    sessions: async_sessionmaker[AsyncSession], blobs: BlobStore, report: CleanupReport
) -> None:
    """Remove what `find_orphans` reported; each step is idempotent, so a rerun is safe."""
    for key in report.orphan_blobs:
        await blobs.delete(key)
        log.info("removed orphan blob %s", key)
    if report.stale_rows:
        async with unit_of_work(sessions) as session:
            originals = list(
                await session.scalars(
                    select(Generation.original_key).where(Generation.id.in_(report.stale_rows))
                )
            )
            await session.execute(
                delete(Generation).where(
                    Generation.id.in_(report.stale_rows),
                    Generation.status == Status.COMPLETED,
                    Generation.updated_at <= report.cutoff,
                )
            )
            # Another take on the same photo shares its original: keep what is still used.
            still_used = set(
                await session.scalars(
                    select(Generation.original_key).where(Generation.original_key.in_(originals))
                )
            )
        for key in set(originals) - still_used:
            await blobs.delete(key)
        log.info("removed %d stale rows", len(report.stale_rows))
    report.removed = True
