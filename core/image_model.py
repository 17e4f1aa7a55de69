"""The image model port: what the rest of the system asks of an image model (product.md §5).

The adapter for OpenRouter lives in `core/openrouter.py`; tests use `FakeImageModel`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Protocol

SUPPORTED_ASPECT_RATIOS: tuple[str, ...] = (
    "1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9",
)  # fmt: skip


def nearest_aspect_ratio(width: int, height: int) -> str:
    """The supported ratio closest to `width:height` (compared on a log scale, so 2:1 ~ 1:2)."""
    if width <= 0 or height <= 0:
        raise ValueError(f"image size must be positive, got {width}x{height}")

    def distance(ratio: str) -> float:
        w, h = (int(part) for part in ratio.split(":"))
        return abs(math.log(width / height) - math.log(w / h))

    return min(SUPPORTED_ASPECT_RATIOS, key=distance)


@dataclass(frozen=True, slots=True)
class ImageRequest:
    prompt: str
    image_jpeg: bytes = field(repr=False)  # already normalised JPEG
    aspect_ratio: str

    def __post_init__(self) -> None:
        if self.aspect_ratio not in SUPPORTED_ASPECT_RATIOS:
            raise ValueError(f"unsupported aspect ratio {self.aspect_ratio!r}")


@dataclass(frozen=True, slots=True)
class ImageResult:
    image: bytes = field(repr=False)
    content_type: str  # sniffed from the bytes, never taken from the provider's label
    cost: float | None  # usage.cost in USD, when the provider reports it
    model: str


class ImageModel(Protocol):
    async def generate(self, request: ImageRequest) -> ImageResult: ...
