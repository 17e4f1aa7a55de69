"""A blob write started now and awaited just before the transaction that records it commits.

The write and the transaction's statements overlap, so a photo or an avatar waits for the
longer of the two instead of both in turn, and the order that matters stays: the row commits
only once the blob is written, and a failed write rolls the transaction back. Whoever does
not commit (the transaction failed, or found the work done already) lets the write settle
before deleting the blob, so no write lands after its delete.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Generator
from typing import Any

from core.blobs import BlobStore


class PendingWrite:
    """One blob's write, running from construction; await it, or `discard` it."""

    def __init__(self, store: BlobStore, key: str, data: bytes, content_type: str) -> None:
        self.key = key
        self._store = store
        self._write = asyncio.ensure_future(store.put(key, data, content_type))

    def __await__(self) -> Generator[Any, None, None]:
        """The write's outcome: await it inside the recording transaction, before its commit."""
        return self._write.__await__()

    async def discard(self) -> None:
        """Not recorded after all: wait for the write to end, then delete what it left."""
        with contextlib.suppress(Exception):
            await self._write  # its error, if any, was the transaction's to report
        with contextlib.suppress(Exception):
            await self._store.delete(self.key)  # no blob without its row
