"""Test image factory: every helper builds a real file in memory, so tests need no fixtures on disk.

Shared by everyone's tests; the hostile ones (bombs, truncations, animations) mirror what
intake must refuse before any credit moves.
"""

from __future__ import annotations

import functools
import io
import random
import struct
import zlib

import pillow_heif
from PIL import ExifTags, Image

pillow_heif.register_heif_opener()

Color = tuple[int, int, int] | tuple[int, int, int, int]
DEFAULT_COLOR: tuple[int, int, int] = (200, 60, 40)
GPS_LATITUDE = (52.0, 31.0, 12.0)


def _image(w: int, h: int, color: Color, mode: str = "RGB") -> Image.Image:
    return Image.new(mode, (w, h), color)


def _save(im: Image.Image, fmt: str, **params: object) -> bytes:
    buf = io.BytesIO()
    im.save(buf, format=fmt, **params)
    return buf.getvalue()


def tracking_exif(orientation: int = 1) -> Image.Exif:
    """EXIF with a camera make and a GPS position: what a phone leaks and intake must strip."""
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.Base.Make] = "TestPhone"
    exif[ExifTags.IFD.GPSInfo] = {
        ExifTags.GPS.GPSLatitudeRef: "N",
        ExifTags.GPS.GPSLatitude: GPS_LATITUDE,
    }
    return exif


def jpeg(
    w: int = 640,
    h: int = 480,
    color: Color = DEFAULT_COLOR,
    *,
    metadata: bool = False,
    mode: str = "RGB",
    quality: int = 90,
    icc_profile: bytes | None = None,
) -> bytes:
    """A JPEG; `metadata=True` adds EXIF with GPS and a comment; `mode="CMYK"` is allowed."""
    im = _image(w, h, color, mode)
    extra: dict[str, object] = {}
    if metadata:
        extra = {"exif": tracking_exif(), "comment": b"shot at home"}
    if icc_profile is not None:
        extra["icc_profile"] = icc_profile
    return _save(im, "JPEG", quality=quality, **extra)


def png(w: int = 640, h: int = 480, color: Color = DEFAULT_COLOR, *, mode: str = "RGB") -> bytes:
    """A PNG; use `mode="RGBA"` with a 4-tuple colour for alpha, or "L", "P", "I;16"."""
    if mode == "I;16":
        return _save(Image.new("I;16", (w, h), 40000), "PNG")
    if mode == "P":
        paletted = _image(w, h, color[:3]).convert("P", palette=Image.Palette.ADAPTIVE)
        return _save(paletted, "PNG")
    if mode == "L":
        return _save(Image.new("L", (w, h), color[0]), "PNG")
    return _save(_image(w, h, color, mode), "PNG")


def webp(w: int = 640, h: int = 480, color: Color = DEFAULT_COLOR, *, mode: str = "RGB") -> bytes:
    """A still WebP (lossy)."""
    return _save(_image(w, h, color, mode), "WEBP", quality=90)


def heic(w: int = 640, h: int = 480, color: Color = DEFAULT_COLOR) -> bytes:
    """A HEIC as iPhones send it (HEVC-coded, via pillow-heif)."""
    return _save(_image(w, h, color), "HEIF", quality=90)


def gif(w: int = 64, h: int = 48, color: Color = DEFAULT_COLOR) -> bytes:
    """A still GIF: a real image, but not a format we accept."""
    return _save(_image(w, h, color), "GIF")


def exif_rotated_jpeg(w: int = 640, h: int = 480) -> bytes:
    """Landscape pixels with EXIF orientation 6 (display rotated 90° clockwise) and GPS.

    The stored left half is red and the right half blue, so once upright the top is red.
    """
    im = _image(w, h, (255, 0, 0))
    im.paste((0, 0, 255), (w // 2, 0, w, h))
    return _save(im, "JPEG", quality=90, exif=tracking_exif(orientation=6))


def _frames(n: int, w: int, h: int) -> list[Image.Image]:
    colors = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0)]
    return [_image(w, h, colors[i % len(colors)]) for i in range(n)]


def animated_gif(frames: int = 3, w: int = 64, h: int = 48) -> bytes:
    first, *rest = _frames(frames, w, h)
    return _save(first, "GIF", save_all=True, append_images=rest, duration=100, loop=0)


def animated_webp(frames: int = 3, w: int = 64, h: int = 48) -> bytes:
    first, *rest = _frames(frames, w, h)
    return _save(first, "WEBP", save_all=True, append_images=rest, duration=100, loop=0)


def animated_png(frames: int = 3, w: int = 64, h: int = 48) -> bytes:
    """An APNG: looks like a PNG, plays like a GIF."""
    first, *rest = _frames(frames, w, h)
    return _save(first, "PNG", save_all=True, append_images=rest, duration=100, loop=0)


def mpo_jpeg(w: int = 640, h: int = 480, color: Color = DEFAULT_COLOR) -> bytes:
    """A multi-picture JPEG (MPF), as phones write with depth or gain maps: still one photo."""
    extra_frame = _image(w // 4, h // 4, (0, 0, 0))
    return _save(_image(w, h, color), "MPO", save_all=True, append_images=[extra_frame])


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def decompression_bomb(w: int = 30_000, h: int = 30_000) -> bytes:
    """A few hundred bytes whose PNG header declares w×h pixels (900 MP by default).

    The header is well-formed (valid CRC) so only a pixel-count check stops it; the pixel data
    is a tiny stream of zeros that would inflate to gigabytes if decoded.
    """
    ihdr = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)  # 8-bit RGB
    data = zlib.compress(b"\x00" * 65_536, 9)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", data)
        + _png_chunk(b"IEND", b"")
    )


def huge_dimensions(w: int = 10_000, h: int = 6_000) -> bytes:
    """A genuine, fully decodable 60 MP bilevel PNG that is only a few kB on disk."""
    return _save(Image.new("1", (w, h), 1), "PNG")


_PNG_COLOR_TYPES = {"L": (0, 1), "RGB": (2, 3), "RGBA": (6, 4)}


@functools.cache
def flat_png(w: int = 7071, h: int = 7071, *, mode: str = "RGBA", bit_depth: int = 8) -> bytes:
    """A genuine one-colour PNG written row by row, so building it never holds its pixels.

    The default is the issue's bomb: 7071×7071 RGBA (50 MP, under the pixel cap) in ≈200 KiB,
    which Pillow would decode into 200 MB. Rows after the first use the "Up" filter, so the
    stream is zeros and compresses ~1000:1. Cached: the file is immutable and costs ~1 s.
    """
    color_type, channels = _PNG_COLOR_TYPES[mode]
    ihdr = struct.pack(">IIBBBBB", w, h, bit_depth, color_type, 0, 0, 0)
    sample = b"\x9c\x40" if bit_depth == 16 else b"\x9c"  # 40000 or 156 in every channel
    first = b"\x00" + sample * channels * w
    rest = b"\x02" + bytes(len(first) - 1)  # filter Up: each row repeats the one above
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", _repeating_zlib(first, rest, h - 1))
        + _png_chunk(b"IEND", b"")
    )


def _repeating_zlib(head: bytes, row: bytes, repeats: int, per_block: int = 256) -> bytes:
    """zlib of head + row × repeats, compressing one block of rows once and repeating it.

    A full flush makes each compressed block independent of what came before, so identical
    input blocks compress to identical bytes; only the trailing Adler-32 covers all the data.
    """
    packer = zlib.compressobj(9)
    out = [packer.compress(head) + packer.flush(zlib.Z_FULL_FLUSH)]
    block = row * per_block
    whole, left = divmod(repeats, per_block)
    compressed = packer.compress(block) + packer.flush(zlib.Z_FULL_FLUSH)
    out += [compressed] * whole
    checksum = zlib.adler32(head)
    for _ in range(whole):
        checksum = zlib.adler32(block, checksum)
    checksum = zlib.adler32(row * left, checksum)
    out.append(packer.compress(row * left) + packer.flush())
    return b"".join(out)[:-4] + struct.pack(">I", checksum)


def png16_rgb(w: int = 64, h: int = 48) -> bytes:
    """A 16-bit-per-channel RGB PNG (as scanners and editors export): every sample is 40000."""
    return flat_png(w, h, mode="RGB", bit_depth=16)


def paletted_png_with_transparency(w: int = 64, h: int = 48) -> bytes:
    """A paletted PNG whose left half is fully transparent (tRNS), the right half blue."""
    im = Image.new("P", (w, h), 0)
    im.putpalette([255, 0, 0, 0, 0, 255])
    im.paste(1, (w // 2, 0, w, h))
    return _save(im, "PNG", transparency=0)


def progressive_jpeg(w: int = 640, h: int = 480) -> bytes:
    """A progressive JPEG full of noise (many scans, as web exports and some phones write)."""
    noise = Image.effect_noise((w, h), 80).convert("RGB")
    return _save(noise, "JPEG", quality=90, progressive=True)


def truncated_progressive_jpeg(keep: float = 0.5) -> bytes:
    """A progressive JPEG cut off part-way: libjpeg stops in a later scan, not the first."""
    data = progressive_jpeg()
    return data[: int(len(data) * keep)]


def noisy_jpeg(w: int = 640, h: int = 480) -> bytes:
    """A JPEG full of noise, so its entropy-coded data is large (a good truncation victim)."""
    noise = Image.effect_noise((w, h), 80).convert("RGB")
    return _save(noise, "JPEG", quality=90)


def truncated_jpeg(keep: float = 0.5) -> bytes:
    """A real JPEG cut off part-way through its scan data: opens fine, fails to decode."""
    data = noisy_jpeg()
    return data[: int(len(data) * keep)]


def corrupt_png() -> bytes:
    """A PNG whose headers are fine but whose compressed pixel data is garbage."""
    ihdr = struct.pack(">IIBBBBB", 64, 48, 8, 2, 0, 0, 0)
    garbage = random.Random(7).randbytes(500)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", garbage)
        + _png_chunk(b"IEND", b"")
    )


def pdf() -> bytes:
    """A minimal valid one-page PDF (with a correct xref table)."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def random_bytes(n: int = 4096, seed: int = 0) -> bytes:
    """Deterministic noise (seeded), so a failure reproduces."""
    return random.Random(seed).randbytes(n)
