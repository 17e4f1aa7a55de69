"""Images of pure noise: incompressible, so the bytes the benchmarks move are of a real size."""

from __future__ import annotations

import io
import random

from PIL import Image


def noise_jpeg(width: int, height: int, *, quality: int = 90, seed: int = 0) -> bytes:
    """A JPEG of pure noise: incompressible, so its size on the wire is real."""
    image = Image.frombytes(
        "RGB", (width, height), random.Random(seed).randbytes(width * height * 3)
    )
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality)
    return out.getvalue()


def noise_png(width: int, height: int, *, seed: int = 1) -> bytes:
    """A PNG of pure noise (≈ 3 bytes per pixel): an image model result of a real size."""
    image = Image.frombytes(
        "RGB", (width, height), random.Random(seed).randbytes(width * height * 3)
    )
    out = io.BytesIO()
    image.save(out, "PNG", compress_level=1)
    return out.getvalue()
