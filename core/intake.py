"""Photo intake: turn untrusted upload bytes into a clean JPEG before any credit is charged.

Every refusal is a typed `InvalidImage` so the bot can explain it in one line and nothing is
charged. Checks run cheapest first (byte size, header, pixel count, then the decode's memory
cost: `core.image_header`) so a decompression bomb is refused before a single pixel is
decoded; what survives is decoded in intake's own small thread pool (a flood of uploads
queues there instead of taking every thread and all memory at once), shrunk as early as
Pillow allows and re-encoded, which strips EXIF/GPS. An upload that needs nothing but its
metadata removed (an upright RGB JPEG within MAX_SIDE, no colour profile: every Telegram
photo) keeps its pixels byte for byte: its metadata segments are cut out
(`core.jpeg_segments`), and a decode at 1/8 scale (an image file) or the segment walk itself
(a photo Telegram encoded) proves the data whole.
"""

from __future__ import annotations

import asyncio
import functools
import io
import os
import tempfile
import weakref
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from PIL import ExifTags, Image, ImageCms, ImageOps

from core.errors import CorruptImage, ImageTooLarge
from core.image_budget import DECODE_BUDGET_BYTES, MAX_SIDE, working_mode
from core.image_header import (
    MAX_PIXELS,
    MIN_SIDE,
    check_header,
    decode_jpeg_scaled_down,
    is_transparent,
    open_upload,
    plan_decode,
)
from core.image_model import nearest_aspect_ratio
from core.jpeg_segments import strip_metadata

__all__ = [
    "DECODE_BUDGET_BYTES",
    "MAX_INPUT_BYTES",
    "MAX_PIXELS",
    "MAX_SIDE",
    "MIN_SIDE",
    "PreparedImage",
    "prepare_image",
    "prepare_image_sync",
]

MAX_INPUT_BYTES = 20 * 1024 * 1024  # Telegram's getFile limit
JPEG_QUALITY = 90
DECODE_WORKERS = 2  # decodes at once, each within DECODE_BUDGET_BYTES
_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
_WHITE = (255, 255, 255)
_pool = ThreadPoolExecutor(DECODE_WORKERS, thread_name_prefix="intake-decode")
# Per event loop (tests run several): at most DECODE_WORKERS decodes are handed to the pool,
# the rest wait in line here, where a cancelled upload leaves without ever being decoded.
_slots: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
    weakref.WeakKeyDictionary()
)


@dataclass(frozen=True, slots=True)
class PreparedImage:
    """A validated photo: upright, RGB, long side ≤ MAX_SIDE, JPEG without metadata."""

    jpeg: bytes = field(repr=False)  # megabytes; keep it out of logs and reprs
    width: int
    height: int
    aspect_ratio: str
    source_format: str


async def prepare_image(
    data: bytes,
    *,
    max_bytes: int = MAX_INPUT_BYTES,
    max_pixels: int = MAX_PIXELS,
    max_decode_bytes: int = DECODE_BUDGET_BYTES,
    encoded_by_telegram: bool = False,
) -> PreparedImage:
    """`prepare_image_sync` in intake's decode pool: decoding takes long enough to stall the bot."""
    loop = asyncio.get_running_loop()
    slots = _slots.get(loop)
    if slots is None:
        slots = _slots[loop] = asyncio.Semaphore(DECODE_WORKERS)
    work = functools.partial(
        prepare_image_sync,
        data,
        max_bytes=max_bytes,
        max_pixels=max_pixels,
        max_decode_bytes=max_decode_bytes,
        encoded_by_telegram=encoded_by_telegram,
    )
    async with slots:
        return await loop.run_in_executor(_pool, work)


def prepare_image_sync(
    data: bytes,
    *,
    max_bytes: int = MAX_INPUT_BYTES,
    max_pixels: int = MAX_PIXELS,
    max_decode_bytes: int = DECODE_BUDGET_BYTES,
    encoded_by_telegram: bool = False,
) -> PreparedImage:
    """Validate and normalise an upload; raises an `InvalidImage` subclass when refused.

    `encoded_by_telegram`: the bytes are a photo Telegram's servers encoded themselves (a
    message's `photo`, never a file the user chose), so a JPEG whose segments walk intact
    to their end-of-image marker needs no decode to prove it whole."""
    if len(data) > max_bytes:
        raise ImageTooLarge(f"the file is {len(data)} bytes; the limit is {max_bytes}")
    im = open_upload(bytes(data))
    source_format = check_header(im, max_pixels)
    plan_decode(im, max_decode_bytes)
    as_uploaded = _as_uploaded(im, data, decode=not encoded_by_telegram)
    if as_uploaded is not None:
        return as_uploaded
    try:
        im.load()  # full decode: truncated or corrupt data fails here, not later
    except MemoryError:
        raise
    except Exception as exc:
        raise CorruptImage(f"the {source_format} image cannot be decoded") from exc
    # Each step rebinds `im`, so the full-size image is freed as soon as a smaller one exists.
    im = _to_working_mode(im)
    im.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS, reducing_gap=2.0)
    rgb = _to_srgb(_upright(im))
    rgb.info.clear()  # Pillow re-emits e.g. a JPEG comment from info; keep no metadata at all
    width, height = rgb.size
    return PreparedImage(
        jpeg=_encode_jpeg(rgb),
        width=width,
        height=height,
        aspect_ratio=nearest_aspect_ratio(width, height),
        source_format=source_format,
    )


def _as_uploaded(im: Image.Image, data: bytes, *, decode: bool) -> PreparedImage | None:
    """The upload minus its metadata, when re-encoding would change nothing else: an RGB
    JPEG (as every Telegram photo is) within MAX_SIDE, upright, with no colour profile.

    With `decode`, validated by a decode at 1/8 scale; without, the segment walk reaching the
    end-of-image marker is the proof (a photo Telegram encoded)."""
    if im.format != "JPEG" or im.mode != "RGB" or max(im.size) > MAX_SIDE:
        return None
    try:
        upright = im.getexif().get(ExifTags.Base.Orientation, 1) == 1
    except Exception:
        return None  # broken EXIF: the re-encoding path ignores it properly
    if not upright or im.info.get("icc_profile"):
        return None
    stripped = strip_metadata(data)
    if stripped is None:
        return None
    width, height = im.size
    try:
        if decode:
            decode_jpeg_scaled_down(im)
    except MemoryError:
        raise
    except Exception as exc:
        raise CorruptImage("the JPEG image cannot be decoded") from exc
    return PreparedImage(
        jpeg=stripped,
        width=width,
        height=height,
        aspect_ratio=nearest_aspect_ratio(width, height),
        source_format="JPEG",
    )


def _encode_jpeg(rgb: Image.Image) -> bytes:
    """Encode into a real file descriptor: only then does Pillow release the GIL while it
    encodes (into BytesIO it holds it ~200 ms per photo, and the bot's event loop stalls).
    A memfd lives in memory and is gone once closed; elsewhere an unlinked temporary file."""
    memfd = getattr(os, "memfd_create", None)
    with open(memfd("intake-jpeg"), "w+b") if memfd else tempfile.TemporaryFile() as out:
        rgb.save(out, format="JPEG", quality=JPEG_QUALITY, optimize=True)
        out.seek(0)
        return out.read()


def _to_working_mode(im: Image.Image) -> Image.Image:
    """Palette, bilevel and 16-bit grey become 8-bit tones that resample well (image_budget)."""
    target = working_mode(im.mode, transparent=is_transparent(im))
    if target == im.mode:
        return im
    if im.mode.startswith("I;16"):
        return im.point(lambda v: v * (1 / 256)).convert("L")  # scaled, not clipped
    return im.convert(target)


def _upright(im: Image.Image) -> Image.Image:
    """Apply the EXIF orientation; broken EXIF is ignored rather than refusing the photo."""
    try:
        return ImageOps.exif_transpose(im)
    except MemoryError:
        raise
    except Exception:
        return im.copy()


def _to_srgb(im: Image.Image) -> Image.Image:
    """RGB in sRGB: alpha flattened on white, embedded colour profile applied."""
    icc = im.info.get("icc_profile")
    if "A" in im.mode or im.mode in ("RGBa", "La"):
        rgba = im.convert("RGBA")
        im = Image.new("RGB", rgba.size, _WHITE)
        im.paste(rgba, mask=rgba.getchannel("A"))
    if icc and im.mode in ("RGB", "L", "CMYK"):
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            converted = ImageCms.profileToProfile(im, source, _SRGB, outputMode="RGB")
            if converted is not None:
                im = converted
        except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
            pass  # a broken profile is not worth refusing a selfie over
    return im if im.mode == "RGB" else im.convert("RGB")
