"""Sticker sets owned by users and created by the bot: create, add, get, upload.

Rules as Telegram applies them to static stickers: PNG or WEBP, one side exactly 512 px and
the other at most 512, at most 512 KB. A set's name is letters, digits and single
underscores, starts with a letter, ends in `_by_<bot username>` (case-insensitive), 1-64
characters. A regular set holds at most `sticker_set_limit` stickers (120). A set the user
deleted answers STICKERSET_INVALID, and its name stays taken, as observed in Telegram.
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any

from .api_messages import Handler
from .errors import JsonDict, bad_request
from .inputs import file_source
from .media import StoredFile, open_image
from .state import ApiRequest, EmulatorState

STICKER_SIDE = 512
MAX_STICKER_BYTES = 512 * 1024
STICKER_FORMATS = frozenset({"PNG", "WEBP"})
_NAME = re.compile(r"[A-Za-z](?!.*__)[A-Za-z0-9_]{0,63}")


def _owner(st: EmulatorState, user_id: Any) -> int:
    """Only users who have a private chat with the bot can own its sets."""
    chat = st.chats.get(user_id) if isinstance(user_id, int) else None
    if chat is None or chat.chat.get("type") != "private":
        raise bad_request("USER_ID_INVALID")
    return int(user_id)


async def _sticker_file(st: EmulatorState, req: ApiRequest, value: Any, part: str) -> StoredFile:
    source = await file_source(st, req, value, part)
    if isinstance(source, StoredFile):
        if source.kind != "sticker":
            raise bad_request("STICKER_FILE_INVALID")
        return source
    if len(source.data) > MAX_STICKER_BYTES:
        raise bad_request("file is too big")
    image = open_image(source.data)
    if image is None or image.format not in STICKER_FORMATS:
        raise bad_request("STICKER_PNG_NOPNG")
    width, height = image.size
    if max(width, height) != STICKER_SIDE:
        raise bad_request("STICKER_PNG_DIMENSIONS")
    st.uploads += not source.from_url
    return st.files.add(
        "sticker",
        source.data,
        width=width,
        height=height,
        is_animated=False,
        is_video=False,
        type="regular",
    )


async def _input_sticker(st: EmulatorState, req: ApiRequest, item: Any, name: str) -> JsonDict:
    """Stores one InputSticker as a sticker of set `name`; returns its Sticker object."""
    if isinstance(item, str) and item.startswith("{"):  # `sticker` travels raw (sendSticker)
        item = json.loads(item)
    if not isinstance(item, dict) or item.get("format") != "static":
        raise bad_request("can't parse InputSticker: sticker format is not specified")
    emojis = item.get("emoji_list")
    if not isinstance(emojis, list) or not 1 <= len(emojis) <= 20:
        raise bad_request("invalid sticker emojis")
    source = await _sticker_file(st, req, item.get("sticker"), "sticker")
    stored = st.files.add(
        "sticker",
        source.data,
        width=source.meta["width"],
        height=source.meta["height"],
        is_animated=False,
        is_video=False,
        type="regular",
        emoji=str(emojis[0]),
        set_name=name,
    )
    return {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_size": stored.size,
        **stored.meta,
    }


def _check_name(st: EmulatorState, name: str) -> str:
    suffix = f"_by_{st.bot_user['username']}".lower()
    if len(name) > 64 or not _NAME.fullmatch(name) or not name.lower().endswith(suffix):
        raise bad_request("sticker set name invalid")
    return name


def _live_set(st: EmulatorState, name: Any, owner: int | None = None) -> JsonDict:
    found = st.sticker_sets.get(str(name or "").lower())
    if found is None or found["deleted"] or (owner is not None and found["owner"] != owner):
        raise bad_request("STICKERSET_INVALID")
    return found


async def create_new_sticker_set(st: EmulatorState, req: ApiRequest) -> bool:
    owner = _owner(st, req.params.get("user_id"))
    name = _check_name(st, str(req.params.get("name") or ""))
    title = str(req.params.get("title") or "")
    if not 1 <= len(title) <= 64:
        raise bad_request("STICKERSET_TITLE_INVALID")
    if name.lower() in st.sticker_sets:
        raise bad_request("sticker set name is already occupied")
    items = req.params.get("stickers")
    if not isinstance(items, list) or not 1 <= len(items) <= 50:
        raise bad_request("can't parse stickers JSON object")
    stickers = [await _input_sticker(st, req, item, name) for item in items]
    st.sticker_sets[name.lower()] = {
        "name": name,
        "title": title,
        "sticker_type": str(req.params.get("sticker_type") or "regular"),
        "owner": owner,
        "stickers": stickers,
        "deleted": False,
    }
    _note_owner(st, owner, f"bot creates sticker set {name} ({len(stickers)})")
    return True


async def add_sticker_to_set(st: EmulatorState, req: ApiRequest) -> bool:
    owner = _owner(st, req.params.get("user_id"))
    sticker_set = _live_set(st, req.params.get("name"), owner)
    if len(sticker_set["stickers"]) >= st.sticker_set_limit:
        raise bad_request("STICKERS_TOO_MUCH")
    sticker = await _input_sticker(st, req, req.params.get("sticker"), sticker_set["name"])
    sticker_set["stickers"].append(sticker)
    count = len(sticker_set["stickers"])
    _note_owner(st, owner, f"bot adds a sticker to {sticker_set['name']} ({count})")
    return True


async def get_sticker_set(st: EmulatorState, req: ApiRequest) -> JsonDict:
    sticker_set = _live_set(st, req.params.get("name"))
    return {
        "name": sticker_set["name"],
        "title": sticker_set["title"],
        "sticker_type": sticker_set["sticker_type"],
        "stickers": copy.deepcopy(sticker_set["stickers"]),
    }


async def upload_sticker_file(st: EmulatorState, req: ApiRequest) -> JsonDict:
    _owner(st, req.params.get("user_id"))
    if req.params.get("sticker_format") != "static":
        raise bad_request("STICKER_FORMAT_INVALID")
    stored = await _sticker_file(st, req, req.params.get("sticker"), "sticker")
    return {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_size": stored.size,
    }


def _note_owner(st: EmulatorState, owner: int, line: str) -> None:
    st.note(st.chats[owner], line)
    st.signal.notify()


HANDLERS: dict[str, Handler] = {
    "createNewStickerSet": create_new_sticker_set,
    "addStickerToSet": add_sticker_to_set,
    "getStickerSet": get_sticker_set,
    "uploadStickerFile": upload_sticker_file,
}
