"""Concurrency sized by memory, not by a count (product.md §8, §10).

A generation mostly waits on the network, so a burst needs many in flight (30 sends/s × the
model's latency); what limits them is the memory each holds while it waits: the photos, their
base64 request body, then the answer and its decode. So a generation takes its share of a
byte budget before calling the model and gives it back after; past the budget, jobs wait
their turn (in order) instead of the process growing without bound.
"""

from __future__ import annotations

import asyncio
import collections
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from core.image_model import ImageModel, ImageRequest, ImageResult

MIB = 1024 * 1024
# What one call holds besides 3× its photo (photo, data URL, JSON body): the answer's base64
# body, its decoded bytes and a check decode, for a typical 1024² result.
ANSWER_RESERVE_BYTES = 3 * MIB


def generation_footprint(photo_bytes: int) -> int:
    """Bytes one model call may hold at its peak, for photos of this many bytes in all."""
    return 3 * photo_bytes + ANSWER_RESERVE_BYTES


class MemoryBudget:
    """A byte semaphore, first come first served; a share larger than the whole runs alone."""

    def __init__(self, total_bytes: int) -> None:
        if total_bytes <= 0:
            raise ValueError("a memory budget must be positive")
        self.total = total_bytes
        self.in_use = 0
        self._waiters: collections.deque[tuple[int, asyncio.Future[None]]] = collections.deque()

    @asynccontextmanager
    async def hold(self, nbytes: int) -> AsyncIterator[None]:
        share = max(0, min(nbytes, self.total))
        await self._acquire(share)
        try:
            yield
        finally:
            self.in_use -= share
            self._wake()

    async def _acquire(self, share: int) -> None:
        if not self._waiters and self.in_use + share <= self.total:
            self.in_use += share
            return
        granted: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append((share, granted))
        try:
            await granted
        except asyncio.CancelledError:
            if granted.done() and not granted.cancelled():
                self.in_use -= share  # granted as we were cancelled: hand it back
            else:
                self._waiters.remove((share, granted))
            self._wake()
            raise

    def _wake(self) -> None:
        while self._waiters and self.in_use + self._waiters[0][0] <= self.total:
            share, granted = self._waiters.popleft()
            if not granted.done():
                self.in_use += share
                granted.set_result(None)


class MemoryBoundedModel:
    """An ImageModel that waits for its share of the budget before each call."""

    def __init__(self, model: ImageModel, budget: MemoryBudget) -> None:
        self._model = model
        self.budget = budget

    async def generate(self, request: ImageRequest) -> ImageResult:
        photos = sum(len(image) for image in request.images)
        async with self.budget.hold(generation_footprint(photos)):
            call = self._model.generate(request)
            del request  # the model lets the photos go once encoded; keep no copy here
            return await call
