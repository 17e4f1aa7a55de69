"""Photo intake: turn untrusted upload bytes into a clean JPEG before any credit is charged.

Every refusal is a typed `InvalidImage` so the bot can explain it in one line and nothing is
charged. Checks run cheapest first (byte size, header, pixel count, then the decode's memory
cost from `core.image_budget`) so a decompression bomb is refused before a single pixel is
decoded; what survives is decoded in intake's own small thread pool (a flood of uploads
queues there instead of taking every thread and all memory at once), shrunk as early as
Pillow allows and re-encoded, which strips EXIF/GPS.
"""

from __future__ import annotations

import asyncio
import functools
import io
import weakref
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import pillow_heif
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from core.errors import (
    AnimatedImage,
    CorruptImage,
    ImageOverDecodeBudget,
    ImageTooLarge,
    ImageTooManyPixels,
    ImageTooSmall,
    NotAnImage,
)
from core.image_budget import DECODE_BUDGET_BYTES, MAX_SIDE, decode_cost, working_mode
from core.image_model import nearest_aspect_ratio

pillow_heif.register_heif_opener()

MAX_INPUT_BYTES = 20 * 1024 * 1024  # Telegram's getFile limit
MAX_PIXELS = 50_000_000
# The short side once downscaled to MAX_SIDE: 1×1 dots and 10000×1 lines hold no face, and the
# model would still be paid to guess one.
MIN_SIDE = 32
JPEG_QUALITY = 90
DECODE_WORKERS = 2  # decodes at once, each within DECODE_BUDGET_BYTES

# Pillow only tries these decoders (less attack surface). GIF is opened just to tell an
# animation apart from a still. Phone JPEGs with extra frames open via JPEG as "MPO".
_OPEN_FORMATS = ("JPEG", "PNG", "WEBP", "HEIF", "GIF")
_SOURCE_FORMATS = {"JPEG": "JPEG", "MPO": "JPEG", "PNG": "PNG", "WEBP": "WEBP", "HEIF": "HEIF"}
_HEIF_BRANDS = (b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1")
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
    )
    async with slots:
        return await loop.run_in_executor(_pool, work)


def prepare_image_sync(
    data: bytes,
    *,
    max_bytes: int = MAX_INPUT_BYTES,
    max_pixels: int = MAX_PIXELS,
    max_decode_bytes: int = DECODE_BUDGET_BYTES,
) -> PreparedImage:
    """Validate and normalise an upload; raises an `InvalidImage` subclass when refused."""
    if len(data) > max_bytes:
        raise ImageTooLarge(f"the file is {len(data)} bytes; the limit is {max_bytes}")
    im = _open(bytes(data))
    source_format = _check_header(im, max_pixels)
    _plan_decode(im, max_decode_bytes)
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
    out = io.BytesIO()
    rgb.save(out, format="JPEG", quality=JPEG_QUALITY, optimize=True)
    width, height = rgb.size
    return PreparedImage(
        jpeg=out.getvalue(),
        width=width,
        height=height,
        aspect_ratio=nearest_aspect_ratio(width, height),
        source_format=source_format,
    )


def _open(data: bytes) -> Image.Image:
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


def _check_header(im: Image.Image, max_pixels: int) -> str:
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
    scale = min(1.0, MAX_SIDE / max(width, height))
    if min(width, height) * scale < MIN_SIDE:
        raise ImageTooSmall(f"{width}x{height} leaves less than {MIN_SIDE} px once downscaled")
    return source_format


def _plan_decode(im: Image.Image, max_decode_bytes: int) -> None:
    """Shrink JPEGs in the decoder (DCT scaling), then refuse what would still cost too much.

    Only one frame is ever decoded: animations are refused above, and a MPO or HEIF file's
    extra images (depth maps, bursts) are never loaded.
    """
    if im.format in ("JPEG", "MPO"):
        fitted = _fit(im.size)
        im.draft("RGB" if im.mode == "RGB" else None, fitted)
    cost = decode_cost(
        _SOURCE_FORMATS[im.format or ""], im.mode, im.size, transparent=_transparent(im)
    )
    if cost.peak_bytes > max_decode_bytes:
        raise ImageOverDecodeBudget(
            width=cost.width,
            height=cost.height,
            mode=cost.mode,
            needed=cost.peak_bytes,
            budget=max_decode_bytes,
        )


def _fit(size: tuple[int, int]) -> tuple[int, int]:
    width, height = size
    scale = min(1.0, MAX_SIDE / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def _transparent(im: Image.Image) -> bool:
    return "transparency" in im.info


def _to_working_mode(im: Image.Image) -> Image.Image:
    """Palette, bilevel and 16-bit grey become 8-bit tones that resample well (image_budget)."""
    target = working_mode(im.mode, transparent=_transparent(im))
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
