"""Photo intake: turn untrusted upload bytes into a clean JPEG before any credit is charged.

Every refusal is a typed `InvalidImage` so the bot can explain it in one line and nothing is
charged. Checks run cheapest first (byte size, header, pixel count) so a decompression bomb is
refused before a single pixel is decoded; what survives is re-encoded, which strips EXIF/GPS.
"""

from __future__ import annotations

import asyncio
import io
from dataclasses import dataclass, field

import pillow_heif
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from core.errors import (
    AnimatedImage,
    CorruptImage,
    ImageTooLarge,
    ImageTooManyPixels,
    NotAnImage,
)
from core.image_model import nearest_aspect_ratio

pillow_heif.register_heif_opener()

MAX_INPUT_BYTES = 20 * 1024 * 1024  # Telegram's getFile limit
MAX_PIXELS = 50_000_000
MAX_SIDE = 2048  # product.md §5: downscale before sending to the model
JPEG_QUALITY = 90

# Pillow only tries these decoders (less attack surface). GIF is opened just to tell an
# animation apart from a still. Phone JPEGs with extra frames open via JPEG as "MPO".
_OPEN_FORMATS = ("JPEG", "PNG", "WEBP", "HEIF", "GIF")
_SOURCE_FORMATS = {"JPEG": "JPEG", "MPO": "JPEG", "PNG": "PNG", "WEBP": "WEBP", "HEIF": "HEIF"}
_HEIF_BRANDS = (b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1")
_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
_WHITE = (255, 255, 255)


@dataclass(frozen=True, slots=True)
class PreparedImage:
    """A validated photo: upright, RGB, long side ≤ MAX_SIDE, JPEG without metadata."""

    jpeg: bytes = field(repr=False)  # megabytes; keep it out of logs and reprs
    width: int
    height: int
    aspect_ratio: str
    source_format: str


async def prepare_image(
    data: bytes, *, max_bytes: int = MAX_INPUT_BYTES, max_pixels: int = MAX_PIXELS
) -> PreparedImage:
    """`prepare_image_sync` in a worker thread: decoding takes long enough to stall the bot."""
    return await asyncio.to_thread(
        prepare_image_sync, data, max_bytes=max_bytes, max_pixels=max_pixels
    )


def prepare_image_sync(
    data: bytes, *, max_bytes: int = MAX_INPUT_BYTES, max_pixels: int = MAX_PIXELS
) -> PreparedImage:
    """Validate and normalise an upload; raises an `InvalidImage` subclass when refused."""
    if len(data) > max_bytes:
        raise ImageTooLarge(f"the file is {len(data)} bytes; the limit is {max_bytes}")
    with _open(bytes(data)) as im:
        source_format = _check_header(im, max_pixels)
        if im.format in ("JPEG", "MPO"):
            im.draft(None, (MAX_SIDE, MAX_SIDE))  # DCT-scaled decode of huge phone photos
        try:
            im.load()  # full decode: truncated or corrupt data fails here, not later
        except MemoryError:
            raise
        except Exception as exc:
            raise CorruptImage(f"the {source_format} image cannot be decoded") from exc
        upright = _upright(im)
    rgb = _to_srgb(upright)
    rgb.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
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
    return source_format


def _upright(im: Image.Image) -> Image.Image:
    """Apply the EXIF orientation; broken EXIF is ignored rather than refusing the photo."""
    try:
        return ImageOps.exif_transpose(im)
    except MemoryError:
        raise
    except Exception:
        return im.copy()


def _to_srgb(im: Image.Image) -> Image.Image:
    """RGB in sRGB: alpha flattened on white, 16-bit scaled, embedded colour profile applied."""
    icc = im.info.get("icc_profile")
    if im.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        im = im.convert("I").point(lambda v: v * (1 / 256)).convert("L")
    elif im.mode == "P":
        im = im.convert("RGBA" if "transparency" in im.info else "RGB")
    elif "transparency" in im.info and im.mode in ("L", "RGB"):
        im = im.convert("RGBA")
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
