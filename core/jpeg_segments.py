"""A JPEG without its metadata, byte for byte otherwise: no decode, no re-encode, no loss.

Telegram re-encodes every photo (sRGB, upright, at most 1280 px), so most uploads need nothing
but their metadata removed. Re-encoding one costs tens of milliseconds of CPU on the photo's
path; walking its segments costs well under one. What goes: APP1-APP13 and APP15 (EXIF with
GPS, XMP, IPTC, ICC, maker notes), comments, and anything after the end-of-image marker.
What stays: the frame, tables, scans and restart markers, APP0 (JFIF) and APP14 (Adobe, which
says how the colour channels are coded).
"""

from __future__ import annotations

_SOI, _EOI, _SOS, _COM = 0xD8, 0xD9, 0xDA, 0xFE
_KEPT_APPS = (0xE0, 0xEE)  # JFIF; Adobe (colour transform)


def _dropped(marker: int) -> bool:
    return marker == _COM or (0xE0 <= marker <= 0xEF and marker not in _KEPT_APPS)


def strip_metadata(data: bytes) -> bytes | None:
    """`data` without metadata segments, or None when its structure is not plain enough to
    walk with confidence (the caller then decodes and re-encodes instead)."""
    if data[:2] != b"\xff\xd8":
        return None
    view = memoryview(data)  # the kept pieces are views: one copy, made by the final join
    kept: list[memoryview] = [view[:2]]
    dropped = False
    at, size = 2, len(data)
    while at < size:
        if data[at] != 0xFF:
            return None
        while at < size and data[at] == 0xFF:  # fill bytes before a marker
            at += 1
        if at >= size:
            return None
        marker = data[at]
        at += 1
        if marker == _EOI:
            if not dropped and at == size:
                return bytes(data)  # nothing to remove (a photo Telegram encoded): no copy
            kept.append(view[at - 2 : at])
            return b"".join(kept)
        if marker == _SOI or marker == 0x01 or 0xD0 <= marker <= 0xD7:
            return None  # not expected between segments
        if at + 2 > size:
            return None
        length = int.from_bytes(data[at : at + 2], "big")
        end = at + length
        if length < 2 or end > size:
            return None
        if _dropped(marker):
            dropped = True
        else:
            kept.append(view[at - 2 : end])  # the marker (0xFF, marker) and its segment
        at = end
        if marker == _SOS:
            scan_end = _end_of_scan(data, at)
            if scan_end is None:
                return None
            kept.append(view[at:scan_end])
            at = scan_end
    return None  # no end-of-image marker: truncated


def _end_of_scan(data: bytes, at: int) -> int | None:
    """Where the entropy-coded data after a scan header ends: at the next marker that is
    neither a stuffed 0xFF00 nor a restart marker."""
    size = len(data)
    while True:
        at = data.find(b"\xff", at)
        if at < 0 or at + 1 >= size:
            return None
        following = data[at + 1]
        if following == 0x00 or 0xD0 <= following <= 0xD7:
            at += 2
        elif following == 0xFF:
            at += 1  # fill byte: the marker comes after it
        else:
            return at
