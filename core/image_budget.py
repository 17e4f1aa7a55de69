"""What decoding an upload will cost in memory, known from its header before any pixel exists.

A pixel cap alone lets a 207 KiB PNG of 7071×7071 RGBA through and it then takes ~800 MiB:
what matters is the bytes Pillow holds at the worst moment of `core.intake`'s pipeline
(decode → working mode → downscale). This module models that peak from the format and the
mode Pillow will decode into, so the cost of the bit depth and channels is counted, not just
the pixels: Pillow keeps 1 byte per pixel for L/P/1, 2 for 16-bit grey (I;16) and 4 for
everything else (RGB is padded to 4; 16-bit colour is narrowed to 8 bits while decoding).
`python -m bench.intake` checks the model against measured peaks (bench/README.md, "intake").
"""

from __future__ import annotations

from dataclasses import dataclass

MiB = 1024 * 1024
# Default budget for one decode. Two decode at once (core.intake's pool), so decoding stays
# under 2 × 128 MiB whatever arrives, while a 12 MP phone photo passes (JPEG ~90 MiB, HEIC
# ~113 MiB); a 24 MP HEIC sent as a file does not (sent as a photo, Telegram shrinks it).
DECODE_BUDGET_BYTES = 128 * MiB
MAX_SIDE = 2048  # product.md §5: downscale before sending to the model
_ENCODER_BYTES = 8 * MiB  # flattening to RGB and writing the JPEG, at ≤ MAX_SIDE

_NARROW_MODES = {"1": 1, "L": 1, "P": 1, "I;16": 2, "I;16B": 2, "I;16L": 2, "I;16N": 2}
# Bytes per pixel a decoder holds besides Pillow's own image while decoding (measured, see
# bench/README.md "intake"): libwebp keeps its canvas and hands Pillow a copy of it; pillow-heif
# holds libheif's decoded rows. JPEG and PNG decode row by row straight into the image.
_DECODER_EXTRA = {"WEBP": 10, "HEIF": 2}
_GREY16 = ("I;16", "I;16B", "I;16L", "I;16N")


def bytes_per_pixel(mode: str) -> int:
    """How many bytes Pillow stores per pixel in this mode."""
    return _NARROW_MODES.get(mode, 4)


def working_mode(mode: str, *, transparent: bool) -> str:
    """The mode intake converts a decoded image to before downscaling it (resampling needs
    continuous tones: P and 1 would fall back to nearest-neighbour, I;16 cannot be reduced)."""
    if mode == "P":
        return "RGBA" if transparent else "RGB"
    if mode in _GREY16 or mode == "1":
        return "L"
    if transparent and mode in ("L", "RGB"):
        return "RGBA"
    return mode


@dataclass(frozen=True, slots=True)
class DecodeCost:
    """The planned decode: its size (after any JPEG draft), mode and peak bytes."""

    width: int
    height: int
    mode: str
    peak_bytes: int


def decode_cost(
    source_format: str, mode: str, size: tuple[int, int], *, transparent: bool
) -> DecodeCost:
    """Peak bytes for decoding one frame of `size` in `mode` and shrinking it to MAX_SIDE."""
    width, height = size
    stored = bytes_per_pixel(mode)
    target = working_mode(mode, transparent=transparent)
    working = bytes_per_pixel(target)
    decoding = stored + _DECODER_EXTRA.get(source_format, 0)
    converting = stored
    if target != mode:  # 16-bit grey is rescaled in its own mode first: one more copy
        converting += working + (stored if mode in _GREY16 else 0)
    # Resampling LA/RGBA premultiplies alpha into a second full-size copy first.
    copies = 2 if target in ("LA", "RGBA") else 1
    peak = max(decoding, converting, working * copies) * width * height
    return DecodeCost(width, height, mode, peak + _resample_bytes(size, working, copies))


def fit(size: tuple[int, int]) -> tuple[int, int]:
    """The size once shrunk to fit MAX_SIDE × MAX_SIDE (never enlarged)."""
    width, height = size
    scale = min(1.0, MAX_SIDE / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def _resample_bytes(size: tuple[int, int], working: int, copies: int) -> int:
    """What Image.thumbnail(reducing_gap=2) allocates on top of its input: an integer-factor
    reduced copy when the image is ≥ 4× the target, the horizontal pass (target width × source
    height) and the result (twice when alpha is premultiplied and converted back)."""
    width, height = size
    out_w, out_h = fit(size)
    if (out_w, out_h) == (width, height):
        return working * width * height + _ENCODER_BYTES  # exif_transpose's copy
    factor_x, factor_y = max(1, int(width / out_w / 2)), max(1, int(height / out_h / 2))
    reduced_w, reduced_h = -(-width // factor_x), -(-height // factor_y)
    reduced = reduced_w * reduced_h if factor_x * factor_y > 1 else 0
    pixels = reduced + out_w * reduced_h + copies * out_w * out_h
    return working * pixels + _ENCODER_BYTES
