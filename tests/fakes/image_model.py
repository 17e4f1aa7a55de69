"""`FakeImageModel`: an in-memory twin of the `ImageModel` port for unit tests.

It behaves like the real adapter from the caller's side (same result type, same typed errors
when scripted) so jobs and handlers can be tested without HTTP, and it can hold generations
mid-flight so concurrency (leases, shutdown, per-user limits) is testable deterministically.
"""

from __future__ import annotations

import asyncio
import io
from collections import deque

from PIL import Image

from core.image_model import ImageRequest, ImageResult

Outcome = ImageResult | BaseException


def make_png(width: int = 64, height: int = 64, *, seed: int = 0) -> bytes:
    """A real PNG with a gradient pattern (so it does not compress to almost nothing)."""
    image = Image.new("RGB", (width, height))
    image.putdata(
        [
            ((x * 7 + seed) % 256, (y * 5 + seed) % 256, ((x ^ y) * 3 + seed) % 256)
            for y in range(height)
            for x in range(width)
        ]
    )
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


class FakeImageModel:
    """Records requests; answers a small PNG unless told otherwise by `script()`."""

    def __init__(
        self,
        *,
        image: bytes | None = None,
        cost: float | None = 0.0387,
        model: str = "fake/image-model",
        latency: float = 0.0,
    ) -> None:
        self.default_result = ImageResult(
            image=image if image is not None else make_png(),
            content_type="image/png",
            cost=cost,
            model=model,
        )
        self.latency = latency
        self.requests: list[ImageRequest] = []
        self.in_flight = 0
        self.completed = 0
        self._outcomes: deque[Outcome] = deque()
        self._gate = asyncio.Event()
        self._gate.set()

    def script(self, *outcomes: Outcome) -> None:
        """The next calls get these outcomes in order (an exception instance is raised)."""
        self._outcomes.extend(outcomes)

    def block(self) -> None:
        """Hold every generation (current and new) before it answers, until `release()`."""
        self._gate.clear()

    def release(self) -> None:
        self._gate.set()

    async def wait_in_flight(self, count: int, timeout: float = 5.0) -> None:
        """Wait until `count` generations are in flight (typically held by `block()`)."""
        async with asyncio.timeout(timeout):
            while self.in_flight < count:
                await asyncio.sleep(0.001)

    async def generate(self, request: ImageRequest) -> ImageResult:
        self.requests.append(request)
        outcome = self._outcomes.popleft() if self._outcomes else self.default_result
        self.in_flight += 1
        try:
            await self._gate.wait()
            if self.latency:
                await asyncio.sleep(self.latency)
        finally:
            self.in_flight -= 1
        self.completed += 1
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome
