"""What an upload's header says before any pixel is decoded: is it a photo we take, and can
we afford to decode it?

Pillow's `Image.open` only parses headers, so format, size, mode, animation and the JPEG draft
scale are all known here; `core.image_budget` turns them into the decode's peak bytes.
"""

from __future__ import annotations

import io

import pillow_heif
from PIL import Image, UnidentifiedImageError

from core.errors import (
    AnimatedImage,
    CorruptImage,
    ImageOverDecodeBudget,
    ImageTooManyPixels,
    ImageTooSmall,
    NotAnImage,
)
from core.image_budget import DecodeCost, decode_cost, fit

pillow_heif.register_heif_opener()

MAX_PIXELS = 50_000_000
# The short side once downscaled to MAX_SIDE: 1×1 dots and 10000×1 lines hold no face, and the
# model would still be paid to guess one.
MIN_SIDE = 32

# Pillow only tries these decoders (less attack surface). GIF is opened just to tell an
# animation apart from a still. Phone JPEGs with extra frames open via JPEG as "MPO".
_OPEN_FORMATS = ("JPEG", "PNG", "WEBP", "HEIF", "GIF")
_SOURCE_FORMATS = {"JPEG": "JPEG", "MPO": "JPEG", "PNG": "PNG", "WEBP": "WEBP", "HEIF": "HEIF"}
_HEIF_BRANDS = (b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1")


def open_upload(data: bytes) -> Image.Image:
    """Parse only the header; tell 'not an image' apart from 'a broken image'."""
    try:
        return Image.open(io.BytesIO(data), formats=_OPEN_FORMATS)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageTooManyPixels("the image declares far too many pixels") from exc
    except MemoryError:
        raise
    except Exception as exc:
        if isinstance(exc, UnidentifiedImageError) and not _has_image_signature(data):
            raise NotAnImage("send a photo as JPEG, PNG, WebP or HEIC") from exc
        raise CorruptImage("the image is damaged and cannot be read") from exc


def _has_image_signature(data: bytes) -> bool:
    return (
        data.startswith((b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n"))
        or (data[:4] == b"RIFF" and data[8:12] == b"WEBP")
        or (data[4:8] == b"ftyp" and data[8:12] in _HEIF_BRANDS)
    )


def check_header(im: Image.Image, max_pixels: int) -> str:
    """Format, pixel count and animation, all from the header, before any pixel is decoded."""
    if im.format == "GIF":
        if getattr(im, "is_animated", False):
            raise AnimatedImage("animated GIFs cannot be turned into an avatar")
        raise NotAnImage("GIF is not supported; send a photo as JPEG, PNG, WebP or HEIC")
    source_format = _SOURCE_FORMATS.get(im.format or "")
    if source_format is None:
        raise NotAnImage("send a photo as JPEG, PNG, WebP or HEIC")
    width, height = im.size
    if width <= 0 or height <= 0:
        raise CorruptImage("the image has no pixels")
    # Pillow's own global bomb limit also counts, without touching process-wide warning filters.
    pillow_cap = Image.MAX_IMAGE_PIXELS or max_pixels
    if width * height > min(max_pixels, pillow_cap):
        raise ImageTooManyPixels(f"{width}x{height} is more than {max_pixels} pixels")
    # MPO frames are a phone's depth/gain maps and HEIF extra images are bursts: not animations.
    if im.format in ("PNG", "WEBP") and getattr(im, "is_animated", False):
        raise AnimatedImage(f"animated {source_format} cannot be turned into an avatar")
    if min(fit(im.size)) < MIN_SIDE:
        raise ImageTooSmall(f"{width}x{height} leaves less than {MIN_SIDE} px once downscaled")
    return source_format


def plan_decode(im: Image.Image, max_decode_bytes: int) -> DecodeCost:
    """Set up the cheapest decode, then refuse it if it would still cost too much memory."""
    cost = planned_cost(im)
    if cost.peak_bytes > max_decode_bytes:
        raise ImageOverDecodeBudget(
            width=cost.width,
            height=cost.height,
            mode=cost.mode,
            needed=cost.peak_bytes,
            budget=max_decode_bytes,
        )
    return cost


def planned_cost(im: Image.Image) -> DecodeCost:
    """Shrink JPEGs in the decoder (DCT scaling), then model what decoding will hold.

    Only one frame is ever decoded: animations are refused by `check_header`, and a MPO or
    HEIF file's extra images (depth maps, bursts) are never loaded.
    """
    if im.format in ("JPEG", "MPO"):
        im.draft("RGB" if im.mode == "RGB" else None, fit(im.size))
    source_format = _SOURCE_FORMATS[im.format or ""]
    return decode_cost(source_format, im.mode, im.size, transparent=is_transparent(im))


def is_transparent(im: Image.Image) -> bool:
    return "transparency" in im.info


def decode_jpeg_scaled_down(im: Image.Image) -> None:
    """Decode a JPEG at 1/8 scale: every coefficient is still entropy-decoded, so truncated or
    corrupt data fails as in a full decode, for a fraction of its cost. Raises as `load` does."""
    im.draft(im.mode, (max(1, im.width // 8), max(1, im.height // 8)))
    im.load()
