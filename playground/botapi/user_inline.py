"""The user's side of inline mode and sticker packs, mixed into `FakeUser`.

Typing `@bot text` sends the bot an `inline_query`; the client shows what answerInlineQuery
stored. Picking a result posts it "via @bot" into the chat the user was typing in (a chat
the bot is not part of, so it sees no message) and, when inline feedback is on in
@BotFather, sends the bot a `chosen_inline_result`.
"""

from __future__ import annotations

import copy
import secrets
import time
from typing import Any

from .api_inline import InlineQueryState
from .errors import JsonDict
from .state import ChatState, EmulatorState

CHAT_TYPES = ("sender", "private", "group", "supergroup", "channel")
_ALLOW = {
    "sender": "allow_bot_chats",
    "private": "allow_user_chats",
    "group": "allow_group_chats",
    "supergroup": "allow_group_chats",
    "channel": "allow_channel_chats",
}


class UserInline:
    """Needs the attributes that `FakeUser` provides."""

    _st: EmulatorState
    _chat: ChatState
    id: int
    user: JsonDict

    async def inline_query(
        self, query: str = "", *, offset: str = "", chat_type: str | None = "sender"
    ) -> str:
        """Types `@bot query` (scrolling to `offset`) in a chat of `chat_type`; returns its id."""
        if not self._st.bot_user.get("supports_inline_queries"):
            raise RuntimeError("inline mode is off for this bot (enable it with /setinline)")
        if chat_type is not None and chat_type not in CHAT_TYPES:
            raise ValueError(f"chat_type must be one of {CHAT_TYPES}")
        query_id = str(secrets.randbits(63))
        self._st.inline_queries[query_id] = InlineQueryState(
            query_id, self.id, query, offset, chat_type, time.monotonic()
        )
        payload: JsonDict = {
            "id": query_id,
            "from": copy.deepcopy(self.user),
            "query": query,
            "offset": offset,
        }
        if chat_type is not None:
            payload["chat_type"] = chat_type
        self._st.note(self._chat, f"user inline @{self._st.bot_user['username']} {query!r}")
        self._st.updates.push("inline_query", payload)
        return query_id

    async def inline_answer(self, query_id: str, timeout: float = 10.0) -> JsonDict:
        """The bot's answer to an inline query: results, next_offset, button, cache_time..."""
        query: InlineQueryState = self._st.inline_queries[query_id]
        answer = await self._st.signal.wait_for(lambda: query.answer, timeout)
        if answer is None:
            raise TimeoutError(f"inline query {query.query!r} not answered in {timeout}s")
        return copy.deepcopy(answer)

    async def ask_inline(
        self, query: str = "", *, offset: str = "", chat_type: str | None = "sender"
    ) -> JsonDict:
        """`inline_query` then `inline_answer`, with `query_id` added to the answer."""
        query_id = await self.inline_query(query, offset=offset, chat_type=chat_type)
        return {**await self.inline_answer(query_id), "query_id": query_id}

    async def press_inline_switch(
        self, message: JsonDict, text: str, *, chat_type: str = "group"
    ) -> str:
        """Presses a switch_inline_query* button, picks a chat of `chat_type`, types its query."""
        markup = message.get("reply_markup") or {}
        button = next(
            (b for row in markup.get("inline_keyboard", []) for b in row if b["text"] == text),
            None,
        )
        if button is None:
            raise ValueError(f"no button {text!r} on message #{message['message_id']}")
        if "switch_inline_query_current_chat" in button:
            return await self.inline_query(button["switch_inline_query_current_chat"])
        if "switch_inline_query" in button:
            return await self.inline_query(button["switch_inline_query"], chat_type=chat_type)
        chosen = button.get("switch_inline_query_chosen_chat")
        if not isinstance(chosen, dict):
            raise ValueError(f"button {text!r} does not switch to inline mode")
        if not chosen.get(_ALLOW[chat_type]):
            raise ValueError(f"button {text!r} does not offer {chat_type} chats")
        return await self.inline_query(str(chosen.get("query") or ""), chat_type=chat_type)

    def choose_inline_result(
        self, query_id: str, result_id: str, *, chat_id: int | None = None
    ) -> JsonDict:
        """Sends the chosen result into chat `chat_id` (default: a group of this user's)."""
        query: InlineQueryState = self._st.inline_queries[query_id]
        results = (query.answer or {}).get("results") or []
        result = next((r for r in results if str(r["id"]) == result_id), None)
        if result is None:
            raise ValueError(f"result {result_id!r} was not offered for this query")
        chat = self._st.chats.get(chat_id or -self.id)
        if chat is None:
            group = {"id": -self.id, "type": "group", "title": f"{self.user['first_name']}'s group"}
            chat = self._st.chats.setdefault(-self.id, ChatState(chat=group))
        content = self._result_content(result)
        content["via_bot"] = copy.deepcopy(self._st.bot_user)
        message = self._st.add_message(chat, self.user, content)
        self._st.note(chat, f"user sends via @{self._st.bot_user['username']}: {result_id}")
        if self._st.inline_feedback:
            chosen: JsonDict = {
                "result_id": result_id,
                "from": copy.deepcopy(self.user),
                "query": query.query,
            }
            self._st.updates.push("chosen_inline_result", chosen)
        self._st.signal.notify()
        return message

    def _result_content(self, result: JsonDict) -> JsonDict:
        content: dict[str, Any] = {}
        file_id = result.get("photo_file_id")
        if file_id:
            content["photo"] = copy.deepcopy(self._st.files.get(str(file_id)).photo_sizes)
        sticker_id = result.get("sticker_file_id")
        if sticker_id:
            stored = self._st.files.get(str(sticker_id))
            content["sticker"] = {
                "file_id": stored.file_id,
                "file_unique_id": stored.file_unique_id,
                **stored.meta,
            }
        text = (result.get("input_message_content") or {}).get("message_text")
        if text:
            content = {"text": text}
        elif result.get("caption"):
            content["caption"] = result["caption"]
        if result.get("reply_markup"):
            content["reply_markup"] = copy.deepcopy(result["reply_markup"])
        return content

    def delete_sticker_set(self, name: str) -> None:
        """The user deletes their pack (in @Stickers); the bot can no longer add to it."""
        sticker_set = self._st.sticker_sets.get(name.lower())
        if sticker_set is None or sticker_set["owner"] != self.id:
            raise ValueError(f"user {self.id} owns no sticker set {name!r}")
        sticker_set["deleted"] = True
        self._st.note(self._chat, f"user deletes sticker set {name}")
        self._st.signal.notify()
