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

# Gemini 3.x image models take up to 14 reference images; more is a caller's bug.
MAX_INPUT_IMAGES = 14


def nearest_aspect_ratio(width: int, height: int) -> str:
    """The supported ratio closest to `width:height` (compared on a log scale, so 2:1 ~ 1:2)."""
    if width <= 0 or height <= 0:
        raise ValueError(f"image size must be positive, got {width}x{height}")

    def distance(ratio: str) -> float:
        w, h = (int(part) for part in ratio.split(":"))
        return abs(math.log(width / height) - math.log(w / h))

    return min(SUPPORTED_ASPECT_RATIOS, key=distance)


@dataclass(frozen=True, slots=True, init=False)
class ImageRequest:
    """A prompt and the images it refers to, sent text first, then the images in order.

    One selfie, several selfies of one person (an album), or a previous avatar to edit: the
    model sees them all the same way. `image_jpeg=` builds the common one-image request.
    """

    prompt: str
    images: tuple[bytes, ...] = field(repr=False)  # normalised JPEG, or PNG/WebP for edits
    aspect_ratio: str

    def __init__(
        self,
        *,
        prompt: str,
        aspect_ratio: str,
        images: tuple[bytes, ...] = (),
        image_jpeg: bytes | None = None,
    ) -> None:
        if image_jpeg is not None:
            if images:
                raise ValueError("pass either images or image_jpeg, not both")
            images = (image_jpeg,)
        if aspect_ratio not in SUPPORTED_ASPECT_RATIOS:
            raise ValueError(f"unsupported aspect ratio {aspect_ratio!r}")
        if not 1 <= len(images) <= MAX_INPUT_IMAGES:
            raise ValueError(f"1 to {MAX_INPUT_IMAGES} images are needed, got {len(images)}")
        object.__setattr__(self, "prompt", prompt)
        object.__setattr__(self, "images", tuple(images))
        object.__setattr__(self, "aspect_ratio", aspect_ratio)

    @property
    def image_jpeg(self) -> bytes:
        """The first (for one-image requests, the only) image."""
        return self.images[0]


@dataclass(frozen=True, slots=True)
class ImageResult:
    image: bytes = field(repr=False)
    content_type: str  # sniffed from the bytes, never taken from the provider's label
    cost: float | None  # usage.cost in USD, when the provider reports it
    model: str  # the model that answered: with a fallback chain, not always the first one


class ImageModel(Protocol):
    async def generate(self, request: ImageRequest) -> ImageResult:
        """The avatar for `request`. Callers hand the request over and keep no reference to
        it, and a model lets it go once it has encoded the photos: a photo is megabytes, and
        a burst has hundreds of calls waiting on the network at once (product.md §10)."""
        ...
