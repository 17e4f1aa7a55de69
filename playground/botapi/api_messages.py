"""Bot API methods that create, change or delete messages (send*, edit*, deleteMessage)."""

from __future__ import annotations

import copy
import time
from collections.abc import Awaitable, Callable
from typing import Any

from .errors import JsonDict, bad_request
from .inputs import file_input, kind_meta, photo_input
from .media import LABELS
from .rules import (
    NOT_MODIFIED,
    button_labels,
    check_caption,
    check_reply_markup,
    check_text,
)
from .state import ApiRequest, ChatState, EmulatorState

Handler = Callable[[EmulatorState, ApiRequest], Awaitable[Any]]
MEDIA_KINDS = ("photo", "document", "video", "animation", "audio", "voice", "sticker", "video_note")
_CAPTIONED = ("photo", "document", "video", "animation", "audio", "voice")
_EDITABLE_MEDIA = ("photo", "document", "video", "animation", "audio")
_FLAGS = {
    "protect_content": "has_protected_content",
    "show_caption_above_media": "show_caption_above_media",
    "has_spoiler": "has_media_spoiler",
}


def media_kind(message: JsonDict) -> str | None:
    return next((kind for kind in MEDIA_KINDS if kind in message), None)


def _reply_target(params: JsonDict) -> int | None:
    reply = params.get("reply_parameters")
    if isinstance(reply, dict):
        return int(reply["message_id"])
    target = params.get("reply_to_message_id")
    return int(target) if target is not None else None


def deliver(st: EmulatorState, req: ApiRequest, chat: ChatState, content: JsonDict) -> JsonDict:
    """Common tail of every send*: reply target, keyboards, storage."""
    markup = check_reply_markup(req.params.get("reply_markup"))
    reply_to = _reply_target(req.params)
    if reply_to is not None and reply_to not in chat.messages:
        reply = req.params.get("reply_parameters") or {}
        lenient = reply.get("allow_sending_without_reply")
        if not (lenient or req.params.get("allow_sending_without_reply")):
            raise bad_request("message to be replied not found")
        reply_to = None
    if markup and "inline_keyboard" in markup:
        content["reply_markup"] = markup
    elif markup and "keyboard" in markup:
        chat.reply_keyboard = markup
    elif markup and "remove_keyboard" in markup:
        chat.reply_keyboard = None
    for param, flag in _FLAGS.items():
        if req.params.get(param):
            content[flag] = True
    return st.add_message(chat, st.bot_user, content, reply_to)


def _target(st: EmulatorState, req: ApiRequest) -> ChatState:
    """Validates chat and keyboard before any file is stored, so refused sends leave no trace."""
    chat = st.writable_chat(req.params.get("chat_id"))
    check_reply_markup(req.params.get("reply_markup"))
    return chat


def _caption_content(params: JsonDict) -> JsonDict:
    caption, entities = check_caption(params)
    content: JsonDict = {}
    if caption:
        content["caption"] = caption
    if entities:
        content["caption_entities"] = entities
    return content


async def send_message(st: EmulatorState, req: ApiRequest) -> JsonDict:
    chat = st.writable_chat(req.params.get("chat_id"))
    text, entities = check_text(req.params)
    content: JsonDict = {"text": text}
    if entities:
        content["entities"] = entities
    if isinstance(req.params.get("link_preview_options"), dict):
        content["link_preview_options"] = req.params["link_preview_options"]
    message = deliver(st, req, chat, content)
    st.note(chat, f"bot: {text}{button_labels(message.get('reply_markup'))}")
    return message


async def send_photo(st: EmulatorState, req: ApiRequest) -> JsonDict:
    chat = _target(st, req)
    content = _caption_content(req.params)
    content["photo"] = await photo_input(st, req, req.params.get("photo"), "photo")
    message = deliver(st, req, chat, content)
    _note_media(st, chat, "photo", message)
    return message


def _send_file(kind: str) -> Handler:
    async def handler(st: EmulatorState, req: ApiRequest) -> JsonDict:
        chat = _target(st, req)
        content = _caption_content(req.params) if kind in _CAPTIONED else {}
        meta = kind_meta(req.params)
        content[kind] = await file_input(st, req, req.params.get(kind), kind, kind, meta)
        message = deliver(st, req, chat, content)
        _note_media(st, chat, kind, message)
        return message

    return handler


async def send_media_group(st: EmulatorState, req: ApiRequest) -> list[JsonDict]:
    """An album: 2-10 photos/videos (or documents, or audios), one message each, shared id."""
    chat = _target(st, req)
    items = req.params.get("media")
    if not isinstance(items, list) or not 2 <= len(items) <= 10:
        raise bad_request("wrong number of media in the media group")
    contents: list[JsonDict] = []
    for item in items:
        kind = str(item.get("type")) if isinstance(item, dict) else ""
        if kind not in ("photo", "video", "document", "audio"):
            raise bad_request("can't parse InputMedia: media type is not specified")
        content = _caption_content(item)
        if kind == "photo":
            content[kind] = await photo_input(st, req, item.get("media"), "media")
        else:
            meta = kind_meta(item)
            content[kind] = await file_input(st, req, item.get("media"), "media", kind, meta)
        contents.append(content)
    group_id = str(st.next_seq() + 10**12)
    messages = []
    for content in contents:
        message = deliver(st, req, chat, {**content, "media_group_id": group_id})
        _note_media(st, chat, media_kind(message) or "media", message)
        messages.append(message)
    return messages


def _note_media(st: EmulatorState, chat: ChatState, kind: str, message: JsonDict) -> None:
    name = message[kind].get("file_name") if kind == "document" else None
    line = f"bot {kind.replace('_', ' ')} #{message['message_id']}" + (f" {name}" if name else "")
    if message.get("caption"):
        line += f" caption: {message['caption']}"
    st.note(chat, line + button_labels(message.get("reply_markup")))


def editable(st: EmulatorState, params: JsonDict) -> tuple[ChatState, JsonDict]:
    """The bot's own message addressed by chat_id + message_id (inline messages unsupported)."""
    if params.get("inline_message_id") is not None:
        raise bad_request("MESSAGE_ID_INVALID")
    chat = st.writable_chat(params.get("chat_id"))
    message = chat.messages.get(_int_or_none(params.get("message_id")) or 0)
    if message is None:
        raise bad_request("message to edit not found")
    if message["from"]["id"] != st.bot_id:
        raise bad_request("message can't be edited")
    return chat, message


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def apply_edit(
    st: EmulatorState, chat: ChatState, message: JsonDict, new: JsonDict, line: str
) -> JsonDict:
    """Replaces fields (None removes one) unless nothing changes, which Telegram refuses."""
    if all(message.get(k) == (v or None) for k, v in new.items()):
        raise bad_request(NOT_MODIFIED)
    for key, value in new.items():
        if value:
            message[key] = value
        else:
            message.pop(key, None)
    message["edit_date"] = int(time.time())
    st.bot_changed(chat, message)
    st.note(chat, line + button_labels(message.get("reply_markup")))
    return copy.deepcopy(message)


def _edit_markup(params: JsonDict) -> JsonDict | None:
    """Omitting reply_markup in an edit removes the inline keyboard, as in Telegram."""
    markup = check_reply_markup(params.get("reply_markup"))
    if markup is not None and "inline_keyboard" not in markup:
        raise bad_request("inline keyboard expected")
    return markup


async def edit_message_text(st: EmulatorState, req: ApiRequest) -> JsonDict:
    chat, message = editable(st, req.params)
    if "text" not in message:
        raise bad_request("there is no text in the message to edit")
    text, entities = check_text(req.params)
    new = {"text": text, "entities": entities, "reply_markup": _edit_markup(req.params)}
    return apply_edit(st, chat, message, new, f"bot edits #{message['message_id']}: {text}")


async def edit_message_caption(st: EmulatorState, req: ApiRequest) -> JsonDict:
    chat, message = editable(st, req.params)
    if media_kind(message) not in _CAPTIONED:
        raise bad_request("there is no caption in the message to edit")
    content = _caption_content(req.params)
    new = {
        "caption": content.get("caption"),
        "caption_entities": content.get("caption_entities"),
        "reply_markup": _edit_markup(req.params),
    }
    line = f"bot edits caption #{message['message_id']}: {content.get('caption', '')}"
    return apply_edit(st, chat, message, new, line)


async def edit_message_media(st: EmulatorState, req: ApiRequest) -> JsonDict:
    chat, message = editable(st, req.params)
    old_kind = media_kind(message)
    media = req.params.get("media")
    if old_kind not in _EDITABLE_MEDIA:
        raise bad_request("there is no media in the message to edit")
    if not isinstance(media, dict) or media.get("type") not in _EDITABLE_MEDIA:
        raise bad_request("can't parse InputMedia: media type is not specified")
    kind = str(media["type"])
    if kind == "photo":
        value: Any = await photo_input(st, req, media.get("media"), "media")
    else:
        value = await file_input(st, req, media.get("media"), "media", kind, kind_meta(media))
    content = _caption_content(media)
    new = dict.fromkeys(_EDITABLE_MEDIA) | {
        kind: value,
        "caption": content.get("caption"),
        "caption_entities": content.get("caption_entities"),
        "reply_markup": _edit_markup(req.params),
    }
    if old_kind == kind and _unique_id(message[kind]) == _unique_id(value):
        new[kind] = message[kind]  # same file: compare as unchanged
    line = f"bot edits media #{message['message_id']} ({kind})"
    if content.get("caption"):
        line += f" caption: {content['caption']}"
    return apply_edit(st, chat, message, new, line)


def _unique_id(media: Any) -> str:
    largest = media[-1] if isinstance(media, list) else media
    return str(largest["file_unique_id"])


async def edit_message_reply_markup(st: EmulatorState, req: ApiRequest) -> JsonDict:
    chat, message = editable(st, req.params)
    new = {"reply_markup": _edit_markup(req.params)}
    return apply_edit(st, chat, message, new, f"bot edits markup #{message['message_id']}")


async def delete_message(st: EmulatorState, req: ApiRequest) -> bool:
    chat = st.writable_chat(req.params.get("chat_id"))
    message_id = _int_or_none(req.params.get("message_id"))
    if message_id is None or message_id not in chat.messages:
        raise bad_request("message to delete not found")
    chat.deleted[message_id] = chat.messages.pop(message_id)
    st.note(chat, f"bot deletes #{message_id}")
    st.signal.notify()
    return True


HANDLERS: dict[str, Handler] = {
    "sendMessage": send_message,
    "sendPhoto": send_photo,
    "sendMediaGroup": send_media_group,
    **{f"send{LABELS[k]}": _send_file(k) for k in MEDIA_KINDS if k != "photo"},
    "editMessageText": edit_message_text,
    "editMessageCaption": edit_message_caption,
    "editMessageMedia": edit_message_media,
    "editMessageReplyMarkup": edit_message_reply_markup,
    "deleteMessage": delete_message,
}
