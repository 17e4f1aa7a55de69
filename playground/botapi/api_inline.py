"""Inline mode and copies: answerInlineQuery validated as Telegram does, and copyMessage.

An inline query is answered once, within `inline_timeout` seconds (Telegram drops the query
after ~10 s); at most 50 results with unique ids of 1-64 bytes; `next_offset` up to 64 bytes;
an optional `button` that opens the private chat with a start parameter (or a Web App).
"""

from __future__ import annotations

import copy
import re
import time
from dataclasses import dataclass
from typing import Any

from .api_messages import Handler, deliver, media_kind
from .errors import JsonDict, bad_request
from .rules import QUERY_TOO_OLD, check_caption, check_reply_markup
from .state import ApiRequest, EmulatorState

MAX_INLINE_RESULTS = 50
MAX_NEXT_OFFSET_BYTES = 64
MAX_RESULT_ID_BYTES = 64
_START_PARAMETER = re.compile(r"[A-Za-z0-9_-]{1,64}")
_CACHED_FILE_FIELDS = {
    "photo": "photo_file_id",
    "gif": "gif_file_id",
    "mpeg4_gif": "mpeg4_file_id",
    "sticker": "sticker_file_id",
    "video": "video_file_id",
    "document": "document_file_id",
    "voice": "voice_file_id",
    "audio": "audio_file_id",
}
_RESULT_TYPES = frozenset({"article", "contact", "game", "location", "venue", *_CACHED_FILE_FIELDS})
# Message fields that describe the envelope, not the content: copyMessage drops them.
_ENVELOPE = frozenset(
    {
        "message_id", "from", "chat", "date", "edit_date", "reply_to_message", "via_bot",
        "forward_origin", "reply_markup", "media_group_id", "author_signature",
        "has_protected_content",
    }
)  # fmt: skip
_NOT_COPYABLE = frozenset({"invoice", "successful_payment", "refunded_payment", "poll"})


@dataclass
class InlineQueryState:
    """One inline query a user typed; `answer` is what answerInlineQuery stored."""

    query_id: str
    user_id: int
    query: str
    offset: str
    chat_type: str | None
    sent_at: float
    answer: JsonDict | None = None


def _check_result(st: EmulatorState, result: Any, seen: set[str]) -> None:
    if not isinstance(result, dict) or result.get("type") not in _RESULT_TYPES:
        raise bad_request("can't parse inline query result: result type is not specified")
    result_id = str(result.get("id") or "")
    if not 1 <= len(result_id.encode()) <= MAX_RESULT_ID_BYTES:
        raise bad_request("RESULT_ID_INVALID")
    if result_id in seen:
        raise bad_request("RESULT_ID_DUPLICATE")
    seen.add(result_id)
    field = _CACHED_FILE_FIELDS.get(str(result["type"]))
    if field and field in result:
        stored = st.files.resolve(str(result[field]))
        if stored is None or stored.kind != result["type"].replace("mpeg4_gif", "animation"):
            raise bad_request("wrong file identifier/HTTP URL specified")
    check_caption(result)
    check_reply_markup(result.get("reply_markup"))


def _check_button(button: Any) -> JsonDict | None:
    if button is None:
        return None
    if not isinstance(button, dict) or not str(button.get("text") or ""):
        raise bad_request("can't parse inline query results button")
    if "web_app" not in button and not _START_PARAMETER.fullmatch(
        str(button.get("start_parameter") or "")
    ):
        raise bad_request("START_PARAM_INVALID")
    return dict(button)


async def answer_inline_query(st: EmulatorState, req: ApiRequest) -> bool:
    query = st.inline_queries.get(str(req.params.get("inline_query_id") or ""))
    if query is None or query.answer is not None:
        raise bad_request(QUERY_TOO_OLD)
    if time.monotonic() - query.sent_at > st.inline_timeout:
        raise bad_request(QUERY_TOO_OLD)
    results = req.params.get("results")
    if not isinstance(results, list):
        raise bad_request("can't parse inline query results JSON object")
    if len(results) > MAX_INLINE_RESULTS:
        raise bad_request("RESULTS_TOO_MUCH")
    seen: set[str] = set()
    for result in results:
        _check_result(st, result, seen)
    next_offset = str(req.params.get("next_offset") or "")
    if len(next_offset.encode()) > MAX_NEXT_OFFSET_BYTES:
        raise bad_request("NEXT_OFFSET_INVALID")
    query.answer = {
        "results": copy.deepcopy(results),
        "next_offset": next_offset,
        "cache_time": int(req.params.get("cache_time", 300)),
        "is_personal": bool(req.params.get("is_personal")),
        "button": _check_button(req.params.get("button")),
    }
    if query.user_id in st.chats:
        line = f"bot answers inline query {query.query!r}: {len(results)} results"
        st.note(st.chats[query.user_id], line)
    st.signal.notify()
    return True


async def copy_message(st: EmulatorState, req: ApiRequest) -> JsonDict:
    """The content of a message the bot can see, sent anew (no "forwarded from" header)."""
    source = st.chat(req.params.get("from_chat_id"))
    original = source.messages.get(_as_int(req.params.get("message_id")))
    if original is None:
        raise bad_request("message to copy not found")
    content = {k: copy.deepcopy(v) for k, v in original.items() if k not in _ENVELOPE}
    if not content or _NOT_COPYABLE & content.keys():
        raise bad_request("message can't be copied")
    chat = st.writable_chat(req.params.get("chat_id"))
    check_reply_markup(req.params.get("reply_markup"))
    if "caption" in req.params and media_kind(content):
        caption, entities = check_caption(req.params)
        content.pop("caption", None)
        content.pop("caption_entities", None)
        content.update({"caption": caption} if caption else {})
        content.update({"caption_entities": entities} if entities else {})
    message = deliver(st, req, chat, content)
    what = content.get("text") or content.get("caption") or media_kind(content) or "message"
    st.note(chat, f"bot copies #{original['message_id']}: {what}")
    return {"message_id": message["message_id"]}


def _as_int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


HANDLERS: dict[str, Handler] = {
    "answerInlineQuery": answer_inline_query,
    "copyMessage": copy_message,
}
