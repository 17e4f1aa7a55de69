"""Groups, supergroups and channels the bot is in, and the shapes their messages take.

Telegram posts in them on behalf of several kinds of sender: a member (`from` is the user),
an anonymous admin (`from` is GroupAnonymousBot, id 1087968824, the group in `sender_chat`),
a linked or chosen channel (`from` is Channel_Bot, id 136817688, the channel in
`sender_chat`) and, in a channel itself, `channel_post` updates with no `from` at all.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from .errors import JsonDict
from .formatting import utf16_len
from .media import open_image, store_photo
from .state import ChatState, EmulatorState

GROUP_ANONYMOUS_BOT: JsonDict = {
    "id": 1087968824,
    "is_bot": True,
    "first_name": "Group",
    "username": "GroupAnonymousBot",
}
CHANNEL_BOT: JsonDict = {
    "id": 136817688,
    "is_bot": True,
    "first_name": "Channel",
    "username": "Channel_Bot",
}
CHAT_KINDS = ("group", "supergroup", "channel")


class FakeChat:
    """A group, supergroup or channel (chat ids are negative, as in Telegram)."""

    def __init__(self, state: EmulatorState, chat_id: int, kind: str, title: str) -> None:
        if kind not in CHAT_KINDS or chat_id >= 0:
            raise ValueError(f"a {CHAT_KINDS} chat with a negative id")
        self._st = state
        self.id = chat_id
        self.kind = kind
        chat = {"id": chat_id, "type": kind, "title": title}
        self._chat = state.chats.setdefault(chat_id, ChatState(chat=chat))

    @property
    def chat(self) -> JsonDict:
        return copy.deepcopy(self._chat.chat)

    @property
    def messages(self) -> list[JsonDict]:
        """The bot's messages in this chat, current state."""
        bot_id = self._st.bot_id
        mine = (m for m in self._chat.messages.values() if m.get("from", {}).get("id") == bot_id)
        return [copy.deepcopy(m) for m in sorted(mine, key=lambda m: m["message_id"])]

    @property
    def transcript(self) -> list[str]:
        return list(self._chat.transcript)

    def text(self, text: str) -> JsonDict:
        """Message content for `text`; a command carries its bot_command entity."""
        content: JsonDict = {"text": text}
        if text.startswith("/") and len(text) > 1:
            length = utf16_len(text.split()[0])
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        return content

    def photo(self, data: bytes, caption: str | None = None) -> JsonDict:
        """Message content for a photo (stored, so the bot may download it)."""
        image = open_image(data)
        if image is None:
            raise ValueError("Telegram clients only send decodable images as photos")
        content: JsonDict = {"photo": store_photo(self._st.files, data, image)}
        if caption:
            content["caption"] = caption
        return content

    def post(self, sender: JsonDict, content: JsonDict, *, edited: bool = False) -> JsonDict:
        """A member's message (`sender` is a FakeUser's `user`), or an edit of one."""
        return self._deliver(sender, content, f"{sender['first_name']}", edited=edited)

    def post_as_anonymous_admin(self, content: JsonDict) -> JsonDict:
        return self._deliver(
            GROUP_ANONYMOUS_BOT, {**content, "sender_chat": self.chat}, "admin", edited=False
        )

    def post_as_channel(self, channel: JsonDict, content: JsonDict) -> JsonDict:
        """A message sent on behalf of `channel` (a linked channel's post, or a member who
        chose to speak as their channel)."""
        content = {**content, "sender_chat": copy.deepcopy(channel)}
        return self._deliver(
            CHANNEL_BOT, content, f"channel {channel.get('title', '')}", edited=False
        )

    def channel_post(self, content: JsonDict, *, edited: bool = False) -> JsonDict:
        """A post in this channel: no `from`, the channel in `sender_chat`."""
        if self.kind != "channel":
            raise ValueError("only channels have channel posts")
        nobody = {"id": 0}  # add_message wants a sender; a channel post has none
        message = self._st.add_message(self._chat, nobody, {**content, "sender_chat": self.chat})
        message.pop("from", None)
        self._chat.messages[message["message_id"]].pop("from", None)
        self._st.note(self._chat, f"channel post: {_summary(content)}")
        kind = "edited_channel_post" if edited else "channel_post"
        self._st.queue_message(self._chat, message, kind)
        return message

    def _deliver(self, sender: JsonDict, content: JsonDict, who: str, *, edited: bool) -> JsonDict:
        message = self._st.add_message(self._chat, sender, content)
        if edited:
            message["edit_date"] = message["date"] + 1
        self._st.note(self._chat, f"{who}: {_summary(content)}")
        self._st.queue_message(self._chat, message, "edited_message" if edited else "message")
        return message

    async def wait_for(
        self, predicate: Callable[[JsonDict], Any], timeout: float = 10.0, *, since: int = 0
    ) -> JsonDict:
        """First bot message in this chat (new or edited) matching `predicate`."""
        events = self._chat.events

        def match() -> JsonDict | None:
            for seq, snapshot in events:
                try:
                    if seq > since and predicate(snapshot):
                        return copy.deepcopy(snapshot)
                except (KeyError, IndexError, TypeError):
                    continue
            return None

        found = await self._st.signal.wait_for(match, timeout)
        if found is None:
            raise TimeoutError(f"no bot message in chat {self.id} within {timeout}s")
        return found


def _summary(content: JsonDict) -> str:
    text = content.get("text") or content.get("caption")
    return str(text) if text else "+".join(k for k in content if k != "sender_chat")
