"""Files held by the emulated Telegram: ids, bytes, download paths and media objects.

File ids are opaque strings scoped to the bot, as in Telegram. `FileStore.invalidate_all`
models ids going stale (a token change, a move between test and production servers) so the
bot's "resend by cached file_id" paths can be tested for their fallback.
"""

from __future__ import annotations

import io
import itertools
import secrets
import warnings
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import aiohttp
from PIL import Image

from .errors import JsonDict

PHOTO_THUMBNAIL_SIDES = (90, 320)
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
_PREFIX = {
    "photo": "AgACAgIAAxkBAA",
    "document": "BQACAgIAAxkBAA",
    "video": "BAACAgIAAxkBAA",
    "animation": "CgACAgIAAxkBAA",
    "audio": "CQACAgIAAxkBAA",
    "voice": "AwACAgIAAxkBAA",
    "sticker": "CAACAgIAAxkBAA",
    "video_note": "DQACAgIAAxkBAA",
}
_FOLDER = {
    "photo": "photos",
    "document": "documents",
    "video": "videos",
    "animation": "animations",
    "audio": "music",
    "voice": "voice",
    "sticker": "stickers",
    "video_note": "video_notes",
}
_EXTENSION = {"photo": ".jpg", "voice": ".oga", "sticker": ".webp", "video_note": ".mp4"}
LABELS = {k: "".join(part.capitalize() for part in k.split("_")) for k in _PREFIX}


@dataclass
class Upload:
    """One file part of a request (or a file fetched from a local URL, which is no upload)."""

    filename: str
    content_type: str
    data: bytes
    from_url: bool = False


@dataclass
class StoredFile:
    file_id: str
    file_unique_id: str
    kind: str
    data: bytes
    size: int
    number: int
    meta: JsonDict = field(default_factory=dict)
    path: str | None = None
    photo_sizes: list[JsonDict] = field(default_factory=list)


class FileStore:
    """Every file the bot or a user ever sent, addressable by file_id and by download path."""

    def __init__(self) -> None:
        self._files: dict[str, StoredFile] = {}
        self._by_path: dict[str, StoredFile] = {}
        self._stale: set[str] = set()
        self._counter = itertools.count(1)

    def add(self, kind: str, data: bytes, *, size: int | None = None, **meta: object) -> StoredFile:
        number = next(self._counter)
        stored = StoredFile(
            file_id=f"{_PREFIX[kind]}{number:05d}{secrets.token_urlsafe(30)}",
            file_unique_id=f"AQAD{number:05d}{secrets.token_urlsafe(6)}",
            kind=kind,
            data=data,
            size=len(data) if size is None else size,
            number=number,
            meta={k: v for k, v in meta.items() if v is not None},
        )
        self._files[stored.file_id] = stored
        return stored

    def resolve(self, file_id: str) -> StoredFile | None:
        """What the Bot API sees: None for unknown or invalidated ids."""
        return None if file_id in self._stale else self._files.get(file_id)

    def get(self, file_id: str) -> StoredFile:
        """What tests see: every file ever stored, stale or not."""
        return self._files[file_id]

    def invalidate_all(self) -> None:
        self._stale.update(self._files)

    def path_of(self, stored: StoredFile) -> str:
        if stored.path is None:
            name = str(stored.meta.get("file_name") or "")
            ext = name[name.rfind(".") :] if "." in name else _EXTENSION.get(stored.kind, "")
            stored.path = f"{_FOLDER[stored.kind]}/file_{stored.number}{ext}"
            self._by_path[stored.path] = stored
        return stored.path

    def by_path(self, path: str) -> StoredFile | None:
        return self._by_path.get(path)


def open_image(data: bytes) -> Image.Image | None:
    """Header-only open: callers check dimensions before paying for a decode."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            return Image.open(io.BytesIO(data))
    except (OSError, ValueError, Image.DecompressionBombError):
        return None


def decodes(image: Image.Image) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image.load()
    except (OSError, ValueError, Image.DecompressionBombError):
        return False
    return True


def photo_size(stored: StoredFile) -> JsonDict:
    return {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "width": stored.meta["width"],
        "height": stored.meta["height"],
        "file_size": stored.size,
    }


def store_photo(store: FileStore, data: bytes, image: Image.Image) -> list[JsonDict]:
    """Telegram's PhotoSize list, smallest first: downscaled JPEG copies, then the original."""
    width, height = image.size
    files: list[StoredFile] = []
    for side in PHOTO_THUMBNAIL_SIDES:
        if max(width, height) <= side:
            continue
        copy = image.convert("RGB")
        copy.thumbnail((side, side))
        buffer = io.BytesIO()
        copy.save(buffer, "JPEG", quality=80)
        files.append(store.add("photo", buffer.getvalue(), width=copy.width, height=copy.height))
    files.append(store.add("photo", data, width=width, height=height))
    sizes = [photo_size(f) for f in files]
    for stored in files:
        stored.photo_sizes = sizes
    return [dict(size) for size in sizes]


def media_object(stored: StoredFile) -> JsonDict:
    """Document/Video/Audio/Voice/Sticker/... JSON: ids, size and the kind's required fields."""
    return {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_size": stored.size,
        **stored.meta,
    }


def default_meta(kind: str, given: JsonDict) -> JsonDict:
    """Fills the fields PTB's de_json requires for each kind with plausible values."""
    defaults: dict[str, JsonDict] = {
        "video": {"width": 640, "height": 360, "duration": 3},
        "animation": {"width": 320, "height": 240, "duration": 2},
        "audio": {"duration": 5},
        "voice": {"duration": 2, "mime_type": "audio/ogg"},
        "video_note": {"length": 240, "duration": 2},
        "sticker": {
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "type": "regular",
        },
    }
    merged = {**defaults.get(kind, {}), **{k: v for k, v in given.items() if v is not None}}
    return {k: v for k, v in merged.items() if k in _KIND_FIELDS.get(kind, _DOC_FIELDS)}


_DOC_FIELDS = frozenset({"file_name", "mime_type"})
_KIND_FIELDS = {
    "document": _DOC_FIELDS,
    "video": _DOC_FIELDS | {"width", "height", "duration"},
    "animation": _DOC_FIELDS | {"width", "height", "duration"},
    "audio": _DOC_FIELDS | {"duration", "performer", "title"},
    "voice": frozenset({"duration", "mime_type"}),
    "video_note": frozenset({"length", "duration"}),
    "sticker": frozenset({"width", "height", "is_animated", "is_video", "type", "emoji"}),
}


def sample_image(width: int = 512, height: int = 512, fmt: str = "JPEG") -> bytes:
    """A small real image, for default stickers and tests that only need "some picture"."""
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (40, 120, 200)).save(buffer, fmt)
    return buffer.getvalue()


def is_local_url(url: str) -> bool:
    return (urlsplit(url).hostname or "") in LOCAL_HOSTS


async def fetch_local_url(url: str) -> Upload | None:
    """Telegram downloads files sent by URL; the emulator only reaches 127.0.0.1 (e.g. moto S3)."""
    if not is_local_url(url):
        return None
    try:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session,
            session.get(url) as response,
        ):
            if response.status != 200:
                return None
            data = await response.read()
            content_type = response.content_type or "application/octet-stream"
    except (aiohttp.ClientError, TimeoutError):
        return None
    name = urlsplit(url).path.rsplit("/", 1)[-1] or "file"
    return Upload(filename=name, content_type=content_type, data=data, from_url=True)
