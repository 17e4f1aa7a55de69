"""The user-side test API: a Telegram user whose every action becomes an update for the bot."""

from __future__ import annotations

import copy
import secrets
import time
from collections.abc import Callable
from typing import Any

from .errors import JsonDict
from .formatting import utf16_len
from .media import default_meta, media_object, open_image, sample_image, store_photo
from .state import ChatState, EmulatorState, QueryState
from .user_albums import UserAlbums
from .user_extras import UserExtras
from .user_inline import UserInline
from .user_payments import UserPayments


class FakeUser(UserPayments, UserInline, UserExtras, UserAlbums):
    """One user and their private chat with the bot (chat.id == user.id)."""

    def __init__(self, state: EmulatorState, user: JsonDict) -> None:
        self._st = state
        self.user = user
        self.id: int = user["id"]
        self.last_payment: JsonDict | None = None
        chat = {"id": self.id, "type": "private", "first_name": user["first_name"]}
        chat.update({k: user[k] for k in ("last_name", "username") if k in user})
        self._chat = state.chats.setdefault(self.id, ChatState(chat=chat))

    @property
    def chat_id(self) -> int:
        return self.id

    @property
    def messages(self) -> list[JsonDict]:
        """The bot's messages here, current state: edits applied, deleted ones gone."""
        bot_id = self._st.bot_id
        mine = (m for m in self._chat.messages.values() if m["from"]["id"] == bot_id)
        return [copy.deepcopy(m) for m in sorted(mine, key=lambda m: m["message_id"])]

    @property
    def last_message(self) -> JsonDict | None:
        messages = self.messages
        return messages[-1] if messages else None

    @property
    def reply_keyboard(self) -> JsonDict | None:
        """The custom reply keyboard the bot last showed (None after remove_keyboard)."""
        return copy.deepcopy(self._chat.reply_keyboard)

    @property
    def cursor(self) -> int:
        """Position in the bot's output stream, for `wait_for(..., since=user.cursor)`."""
        return self._st.seq

    @property
    def chat_actions(self) -> list[str]:
        return list(self._chat.actions)

    @property
    def transcript(self) -> list[str]:
        return list(self._chat.transcript)

    def block(self, *, notify: bool = True) -> None:
        """The bot's sends here now answer 403; the bot gets a my_chat_member update (unless
        `notify` is False: an update the bot never saw, e.g. dropped while it was down)."""
        self._set_blocked(True, notify=notify)

    def unblock(self) -> None:
        self._set_blocked(False)

    def _set_blocked(self, blocked: bool, *, notify: bool = True) -> None:
        if self._chat.blocked == blocked:
            return
        self._chat.blocked = blocked
        if not notify:
            return
        bot = self._st.bot_user
        member = {"status": "member", "user": bot}
        kicked = {"status": "kicked", "user": bot, "until_date": 0}
        old, new = (member, kicked) if blocked else (kicked, member)
        update = {
            "chat": self._chat.chat,
            "from": self.user,
            "date": int(time.time()),
            "old_chat_member": old,
            "new_chat_member": new,
        }
        self._st.note(self._chat, "user blocks the bot" if blocked else "user unblocks the bot")
        self._st.updates.push("my_chat_member", copy.deepcopy(update))

    def _post(self, content: JsonDict, line: str, reply_to: JsonDict | None = None) -> JsonDict:
        """Stores and delivers a user message; writing to the bot again unblocks it."""
        self._set_blocked(False)
        reply_id = reply_to["message_id"] if reply_to else None
        message = self._st.add_message(self._chat, self.user, content, reply_id)
        self._st.note(self._chat, line)
        self._st.queue_message(self._chat, message)
        return message

    async def send_text(self, text: str, *, reply_to: JsonDict | None = None) -> JsonDict:
        """Commands ("/start payload") carry a bot_command entity, as Telegram clients add it."""
        content: JsonDict = {"text": text}
        if text.startswith("/") and len(text) > 1:
            command = text.split()[0]
            content["entities"] = [
                {"type": "bot_command", "offset": 0, "length": utf16_len(command)}
            ]
        return self._post(content, f"user: {text}", reply_to)

    async def send_photo(
        self, data: bytes, caption: str | None = None, *, reply_to: JsonDict | None = None
    ) -> JsonDict:
        image = open_image(data)
        if image is None:
            raise ValueError("Telegram clients only send decodable images as photos")
        content: JsonDict = {"photo": store_photo(self._st.files, data, image)}
        if caption:
            content["caption"] = caption
        return self._post(content, "user photo" + (f": {caption}" if caption else ""), reply_to)

    async def _send_file(
        self, kind: str, data: bytes, caption: str | None, size: int | None, **meta: Any
    ) -> JsonDict:
        stored = self._st.files.add(kind, data, size=size, **default_meta(kind, meta))
        content: JsonDict = {kind: media_object(stored)}
        if caption:
            content["caption"] = caption
        name = meta.get("file_name") or meta.get("emoji") or ""
        line = f"user {kind.replace('_', ' ')}" + (f" {name}" if name else "")
        return self._post(content, line + (f": {caption}" if caption else ""))

    async def send_document(
        self,
        data: bytes,
        file_name: str = "file.bin",
        mime_type: str | None = "application/octet-stream",
        caption: str | None = None,
        *,
        file_size: int | None = None,
    ) -> JsonDict:
        """`file_size` fakes a big file (e.g. 25 MB) without holding its bytes."""
        return await self._send_file(
            "document", data, caption, file_size, file_name=file_name, mime_type=mime_type
        )

    async def send_sticker(self, data: bytes | None = None, emoji: str = "😀") -> JsonDict:
        return await self._send_file(
            "sticker", data or sample_image(fmt="WEBP"), None, None, emoji=emoji
        )

    async def send_video(
        self, data: bytes = b"\x00\x00\x00\x18ftypmp42", caption: str | None = None
    ) -> JsonDict:
        return await self._send_file("video", data, caption, None, mime_type="video/mp4")

    async def send_animation(self, data: bytes = b"GIF89a") -> JsonDict:
        return await self._send_file("animation", data, None, None, mime_type="video/mp4")

    async def send_voice(self, data: bytes = b"OggS\x00voice") -> JsonDict:
        return await self._send_file("voice", data, None, None)

    async def send_audio(self, data: bytes = b"ID3audio", title: str | None = None) -> JsonDict:
        return await self._send_file("audio", data, None, None, title=title, mime_type="audio/mpeg")

    async def send_video_note(self, data: bytes = b"\x00\x00\x00\x18ftypmp42") -> JsonDict:
        return await self._send_file("video_note", data, None, None)

    async def send_contact(self, phone_number: str = "+15550100", first_name: str = "") -> JsonDict:
        contact = {
            "phone_number": phone_number,
            "first_name": first_name or self.user["first_name"],
        }
        contact["user_id"] = self.id
        return self._post({"contact": contact}, f"user contact {phone_number}")

    async def send_location(self, latitude: float = 52.52, longitude: float = 13.405) -> JsonDict:
        location = {"latitude": latitude, "longitude": longitude}
        return self._post({"location": location}, f"user location {latitude},{longitude}")

    async def edit_message(
        self, message: JsonDict, *, text: str | None = None, caption: str | None = None
    ) -> JsonDict:
        """Edits one of this user's messages; the bot gets an `edited_message` update."""
        stored = self._chat.messages.get(message["message_id"])
        if stored is None or stored["from"]["id"] != self.id:
            raise ValueError("a user can only edit their own, existing messages")
        if text is not None:
            stored["text"] = text
            stored.pop("entities", None)
        if caption is not None:
            stored["caption"] = caption
        stored["edit_date"] = max(int(time.time()), stored["date"] + 1)
        self._st.note(self._chat, f"user edits #{stored['message_id']}: {text or caption or ''}")
        self._st.queue_message(self._chat, stored, "edited_message")
        return copy.deepcopy(stored)

    async def press(self, message: JsonDict, data: str) -> str:
        """Presses a callback button; any message works, so forged presses can be tested."""
        chat_id = message["chat"]["id"]
        source = self._st.chats.get(chat_id)
        current = source.messages.get(message["message_id"]) if source else None
        query_id = str(secrets.randbits(63))
        self._st.callbacks[query_id] = QueryState(query_id, self.id, time.monotonic())
        foreign = "" if chat_id == self.id else f" (chat {chat_id})"
        self._st.note(self._chat, f"user presses [{data}] on #{message['message_id']}{foreign}")
        self._chat.action_seq = self._st.seq
        payload = {
            "id": query_id,
            "from": copy.deepcopy(self.user),
            "message": copy.deepcopy(current or message),
            "chat_instance": str(abs(hash((self.id, chat_id)))),
            "data": data,
        }
        self._st.updates.push("callback_query", payload)
        return query_id

    async def wait_for(
        self,
        predicate: Callable[[JsonDict], Any],
        timeout: float = 10.0,
        *,
        since: int | None = None,
    ) -> JsonDict:
        """First bot message (new or edited, as it was then) matching `predicate`.

        Only output after this user's latest action counts (or after sequence `since`, 0 for
        the whole chat), so consecutive steps of a dialogue do not match stale messages.
        Predicates raising KeyError/IndexError/TypeError count as "no match".
        """
        start = self._chat.action_seq if since is None else since
        events = self._chat.events

        def match() -> JsonDict | None:
            for seq, snapshot in events:
                if seq > start and _safe(predicate, snapshot):
                    return copy.deepcopy(snapshot)
            return None

        found = await self._st.signal.wait_for(match, timeout)
        if found is None:
            lines = "\n".join(f"  {line}" for line in self._chat.transcript) or "  (empty)"
            raise TimeoutError(
                f"no bot message in chat {self.id} matched within {timeout}s:\n{lines}"
            )
        return found


def _safe(predicate: Callable[[JsonDict], Any], message: JsonDict) -> bool:
    try:
        return bool(predicate(message))
    except (KeyError, IndexError, TypeError):
        return False
