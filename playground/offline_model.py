"""`OfflineImageModel`: the playground's stand-in for the image model when there is no
OpenRouter key, so a fresh clone shows the whole flow without an account.

It implements the core `ImageModel` port and stylises the photo locally with Pillow: colour
boost, posterise, halftone dots, ink outlines, a per-style tint, and a dark caption band that
says "offline preview", so nobody mistakes it for the real model's output. A short delay
keeps the status message and the chat action visible, as with a real model.
"""

from __future__ import annotations

import asyncio
import io
from functools import cache

from PIL import Image, ImageChops, ImageDraw, ImageEnhance, ImageFilter, ImageFont, ImageOps

from core.image_model import ImageRequest, ImageResult
from core.styles import STYLES

MODEL_NAME = "playground/offline-preview"
LABEL = "OFFLINE PREVIEW"
BAND_FRACTION = 0.12  # the caption band's share of the height, at the bottom
BAND_COLOUR = (18, 18, 28)
TEXT_COLOUR = (255, 214, 0)
MAX_SIDE = 768
DOT_PITCH = 6
# (shadow, highlight) duotone per style, blended over the posterised photo.
_TINTS = {
    "superhero": ((120, 0, 40), (255, 220, 80)),
    "cinematic": ((0, 50, 110), (255, 170, 60)),
    "noir": ((10, 10, 30), (200, 210, 230)),
    "anime": ((90, 30, 140), (255, 200, 230)),
    "retro": ((120, 40, 20), (250, 230, 170)),
    "cyberpunk": ((40, 0, 90), (0, 255, 230)),
    "fantasy": ((20, 60, 30), (240, 210, 120)),
}
_DEFAULT_TINT = ((60, 0, 110), (120, 255, 200))


class OfflineImageModel:
    """The `ImageModel` port, answered locally in about `delay` seconds."""

    def __init__(self, *, delay: float = 1.0) -> None:
        self.delay = delay

    async def generate(self, request: ImageRequest) -> ImageResult:
        await asyncio.sleep(self.delay)
        image = await asyncio.to_thread(stylise, request.images[0], style_of(request.prompt))
        return ImageResult(image=image, content_type="image/jpeg", cost=None, model=MODEL_NAME)


def style_of(prompt: str) -> str:
    """The style key whose look the prompt carries ("" when none matches)."""
    return next((key for key, style in STYLES.items() if style.look in prompt), "")


def stylise(jpeg: bytes, style: str = "") -> bytes:
    """A comic-poster rendering of the photo with the "offline preview" band; JPEG out."""
    with Image.open(io.BytesIO(jpeg)) as opened:
        photo = ImageOps.exif_transpose(opened).convert("RGB")
    photo.thumbnail((MAX_SIDE, MAX_SIDE))
    boosted = ImageEnhance.Contrast(ImageEnhance.Color(photo).enhance(2.2)).enhance(1.5)
    poster = ImageOps.posterize(boosted, 2)
    shadow, highlight = _TINTS.get(style, _DEFAULT_TINT)
    duotone = ImageOps.colorize(ImageOps.grayscale(boosted), shadow, highlight)
    art = Image.blend(poster, duotone, 0.45)
    art = ImageChops.multiply(art, _halftone(art.size))
    art.paste((0, 0, 0), mask=_outlines(photo))
    _caption_band(art, style)
    out = io.BytesIO()
    art.save(out, "JPEG", quality=88)
    return out.getvalue()


def _halftone(size: tuple[int, int]) -> Image.Image:
    """A tiled dot screen that darkens slightly, like comic print."""
    tile = Image.new("RGB", (DOT_PITCH, DOT_PITCH), (255, 255, 255))
    centre, radius = DOT_PITCH / 2, DOT_PITCH / 4
    ImageDraw.Draw(tile).ellipse(
        (centre - radius, centre - radius, centre + radius, centre + radius), fill=(170, 170, 170)
    )
    screen = Image.new("RGB", size)
    for x in range(0, size[0], DOT_PITCH):
        for y in range(0, size[1], DOT_PITCH):
            screen.paste(tile, (x, y))
    return screen


def _outlines(photo: Image.Image) -> Image.Image:
    """A mask of the strongest edges, thickened into ink lines."""
    edges = ImageOps.grayscale(photo).filter(ImageFilter.SMOOTH_MORE).filter(ImageFilter.FIND_EDGES)
    return edges.point(lambda v: 255 if v > 40 else 0).filter(ImageFilter.MaxFilter(3))


def _caption_band(art: Image.Image, style: str) -> None:
    width, height = art.size
    band = max(24, int(height * BAND_FRACTION))
    draw = ImageDraw.Draw(art)
    draw.rectangle((0, height - band, width, height), fill=BAND_COLOUR)
    text = f"{LABEL} · {style.upper()}" if style else LABEL
    size = max(10, band // 2)
    font = _font(size)
    left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
    while right - left > width * 0.92 and size > 10:  # shrink to fit narrow images
        size -= 2
        font = _font(size)
        left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
    x = max(4, (width - (right - left)) // 2)
    y = height - band + (band - (bottom - top)) // 2 - top
    draw.text((x, y), text, fill=TEXT_COLOUR, font=font)


@cache
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    try:
        return ImageFont.load_default(size=size)
    except (OSError, TypeError):  # Pillow without FreeType: the small bitmap font
        return ImageFont.load_default()
