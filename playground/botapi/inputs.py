"""Resolving the files a request refers to, as PTB sends them, into stored Telegram files.

A file parameter arrives as a multipart part named after the parameter (plain InputFile), as
`attach://<part>` (inside InputMedia JSON), as an HTTP URL, or as a known file_id. Uploaded
photos are checked like Telegram does (size, dimensions, decodability) before being stored.
"""

from __future__ import annotations

import copy
from typing import Any

from .errors import ApiError, JsonDict, bad_request
from .media import (
    LABELS,
    StoredFile,
    Upload,
    decodes,
    default_meta,
    fetch_local_url,
    media_object,
    open_image,
    store_photo,
)
from .rules import (
    MAX_PHOTO_ASPECT_RATIO,
    MAX_PHOTO_DIMENSIONS_SUM,
    MAX_PHOTO_UPLOAD_BYTES,
    MAX_UPLOAD_BYTES,
    WRONG_FILE_ID,
)
from .state import ApiRequest, EmulatorState

# What sendPhoto accepts; HEIC/AVIF must be converted by the bot (and are, deterministically,
# refused here even when a test process registered a Pillow plugin for them).
PHOTO_FORMATS = frozenset({"JPEG", "PNG", "WEBP", "GIF", "BMP"})


async def _source(st: EmulatorState, req: ApiRequest, value: Any, part: str) -> Upload | StoredFile:
    """Resolves an InputFile the way PTB sends it: plain part, attach://name, URL or file_id."""
    if value is None:
        upload = req.files.get(part)
        if upload is None:
            raise bad_request(f"there is no {part} in the request")
        return upload
    if not isinstance(value, str) or not value:
        raise bad_request(WRONG_FILE_ID)
    if value.startswith("attach://"):
        upload = req.files.get(value.removeprefix("attach://"))
        if upload is None:
            raise bad_request(WRONG_FILE_ID)
        return upload
    if value.startswith(("http://", "https://")):
        fetched = await fetch_local_url(value)
        if fetched is None:
            raise bad_request(WRONG_FILE_ID)
        return fetched
    stored = st.files.resolve(value)
    if stored is None:
        raise bad_request(WRONG_FILE_ID)
    return stored


file_source = _source  # public name for the other method modules (stickers)


async def photo_input(st: EmulatorState, req: ApiRequest, value: Any, part: str) -> list[JsonDict]:
    source = await _source(st, req, value, part)
    if isinstance(source, StoredFile):
        if source.kind != "photo":
            raise bad_request(f"can't use file of type {LABELS[source.kind]} as Photo")
        return copy.deepcopy(source.photo_sizes)
    if len(source.data) > MAX_PHOTO_UPLOAD_BYTES:
        raise bad_request("PHOTO_INVALID_DIMENSIONS")
    image = open_image(source.data)
    if image is None or image.format not in PHOTO_FORMATS:
        raise bad_request("IMAGE_PROCESS_FAILED")
    width, height = image.size
    if width + height > MAX_PHOTO_DIMENSIONS_SUM or max(
        width, height
    ) > MAX_PHOTO_ASPECT_RATIO * max(1, min(width, height)):
        raise bad_request("PHOTO_INVALID_DIMENSIONS")
    if not decodes(image):
        raise bad_request("IMAGE_PROCESS_FAILED")
    st.uploads += not source.from_url
    return store_photo(st.files, source.data, image)


async def file_input(
    st: EmulatorState, req: ApiRequest, value: Any, part: str, kind: str, meta: JsonDict
) -> JsonDict:
    source = await _source(st, req, value, part)
    if isinstance(source, StoredFile):
        if source.kind != kind:
            raise bad_request(f"can't use file of type {LABELS[source.kind]} as {LABELS[kind]}")
        return media_object(source)
    if len(source.data) > MAX_UPLOAD_BYTES:
        raise ApiError(413, "Request Entity Too Large")
    st.uploads += not source.from_url
    given = {"file_name": source.filename, "mime_type": source.content_type, **meta}
    return media_object(st.files.add(kind, source.data, **default_meta(kind, given)))


def kind_meta(params: JsonDict) -> JsonDict:
    keys = ("width", "height", "duration", "length", "performer", "title", "emoji")
    return {k: params[k] for k in keys if params.get(k) is not None}
