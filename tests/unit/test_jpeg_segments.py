"""Metadata cut out of a JPEG without decoding it: pixels untouched, nothing private left."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from core.errors import InvalidImage
from core.intake import prepare_image_sync
from core.jpeg_segments import strip_metadata
from tests.fakes import images

GPS_IFD = 0x8825


def _with_metadata(jpeg: bytes, **save: object) -> bytes:
    """The same picture carrying EXIF (camera, GPS), XMP and a comment, and a payload after
    its end-of-image marker, re-saved with `save` options (progressive, restart markers)."""
    picture = Image.open(io.BytesIO(jpeg))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[GPS_IFD] = {1: "N", 2: (55.0, 45.0, 21.0)}
    out = io.BytesIO()
    picture.save(
        out, "JPEG", exif=exif, comment=b"home address", xmp=b"<x:xmpmeta secret/>", **save
    )
    return out.getvalue() + b"PK\x03\x04 appended archive"


def _pixels(jpeg: bytes) -> bytes:
    return Image.open(io.BytesIO(jpeg)).convert("RGB").tobytes()


def _assert_clean(jpeg: bytes) -> None:
    for private in (b"PhoneMaker", b"home address", b"xmpmeta", b"PK\x03\x04", b"Exif\x00"):
        assert private not in jpeg
    assert jpeg.endswith(b"\xff\xd9")
    assert not Image.open(io.BytesIO(jpeg)).getexif()


def test_baseline_progressive_and_restart_marker_jpegs_lose_only_their_metadata() -> None:
    for options in ({}, {"progressive": True}, {"restart_marker_blocks": 1}):
        source = _with_metadata(images.jpeg(320, 240), **options)
        stripped = strip_metadata(source)
        assert stripped is not None, options
        _assert_clean(stripped)
        assert _pixels(stripped) == _pixels(source), options


def test_a_jpeg_without_metadata_is_returned_as_it_came_not_copied() -> None:
    source = images.jpeg(640, 480)  # JFIF and tables only, as Telegram encodes a photo
    assert strip_metadata(source) is source  # megabytes per photo: no second copy
    assert strip_metadata(source + b"tail") == source  # bytes after the end still go


def test_an_upright_telegram_style_photo_keeps_its_pixels_byte_for_byte() -> None:
    source = _with_metadata(images.jpeg(1280, 960))
    prepared = prepare_image_sync(source)
    _assert_clean(prepared.jpeg)
    assert prepared.jpeg == strip_metadata(source)  # not re-encoded: no generation loss
    assert (prepared.width, prepared.height, prepared.aspect_ratio) == (1280, 960, "4:3")


def test_a_truncated_or_unwalkable_jpeg_is_left_to_the_decoder() -> None:
    source = images.jpeg(320, 240)
    assert strip_metadata(source[: len(source) // 2]) is None
    assert strip_metadata(b"\xff\xd8\xff\xe1\x00") is None
    assert strip_metadata(b"GIF89a") is None


def test_a_truncated_photo_is_refused_even_when_telegram_encoded_it() -> None:
    source = images.jpeg(640, 480)
    for trusted in (False, True):
        with pytest.raises(InvalidImage):
            prepare_image_sync(source[: len(source) * 2 // 3], encoded_by_telegram=trusted)
        assert prepare_image_sync(source, encoded_by_telegram=trusted).jpeg == source
