"""An avatar as a static Telegram sticker: 512 px on the long side, PNG (WEBP if PNG is too big).

Telegram's rule for static stickers: PNG or WEBP, one side exactly 512 px, the other at most
512, at most 512 KB. Photographic avatars often make PNGs over 512 KB; WEBP at a falling
quality always fits.
"""

from __future__ import annotations

import io

from PIL import Image

from core.errors import CorruptImage

STICKER_SIDE = 512
MAX_STICKER_BYTES = 512 * 1024
_WEBP_QUALITIES = (90, 80, 65, 50, 35)


def sticker_image(data: bytes) -> bytes:
    """The sticker's bytes (CPU-bound: run it in a thread)."""
    try:
        with Image.open(io.BytesIO(data)) as source:
            source.load()
            image = source.convert("RGBA")
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise CorruptImage("the stored avatar does not decode") from exc
    scale = STICKER_SIDE / max(image.size)
    size = tuple(max(1, min(STICKER_SIDE, round(side * scale))) for side in image.size)
    image = image.resize(size, Image.Resampling.LANCZOS)  # type: ignore[arg-type]
    buffer = io.BytesIO()
    image.save(buffer, "PNG", optimize=True)
    if buffer.tell() <= MAX_STICKER_BYTES:
        return buffer.getvalue()
    for quality in _WEBP_QUALITIES:
        buffer = io.BytesIO()
        image.save(buffer, "WEBP", quality=quality, method=4)
        if buffer.tell() <= MAX_STICKER_BYTES:
            break
    return buffer.getvalue()
