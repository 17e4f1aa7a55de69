"""A user's albums, mixed into `FakeUser`: 2–10 photos under one `media_group_id`.

Telegram gives every photo of an album its own message and its own update; they may reach
the bot in any order and in different getUpdates batches. `send_album` can reproduce both,
and hold parts back so a test can restart the bot between them.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Sequence

from .errors import JsonDict
from .media import open_image, store_photo
from .state import ChatState, EmulatorState

ALBUM_SIZES = range(2, 11)  # Telegram's media groups hold 2 to 10 items


class SentAlbum:
    """An album the user sent: every message exists; `held` ones have no update yet."""

    def __init__(self, state: EmulatorState, chat: ChatState, messages: list[JsonDict]) -> None:
        self._st = state
        self._chat = chat
        self.messages = messages  # in album order (ascending message ids)
        self.media_group_id: str = messages[0]["media_group_id"]
        self.held: list[JsonDict] = []
        self.update_ids: list[int] = []
        self.task: asyncio.Task[None] | None = None  # the split second half, when pending

    def push(self, message: JsonDict) -> None:
        self._st.note(self._chat, f"user album photo #{message['message_id']}")
        self.update_ids.append(self._st.queue_message(self._chat, message))

    def deliver(self, count: int | None = None) -> None:
        """Send the held parts' updates now (all of them, or the next `count`)."""
        count = len(self.held) if count is None else count
        for message in self.held[:count]:
            self.push(message)
        del self.held[:count]

    async def fetched(self, update_id: int, timeout: float = 10.0) -> bool:
        """Wait until the bot has fetched `update_id` with getUpdates."""
        queue = self._st.updates
        return bool(
            await self._st.signal.wait_for(lambda: queue.fetched >= update_id or None, timeout)
        )


class UserAlbums:
    """Needs the attributes that `FakeUser` provides."""

    _st: EmulatorState
    _chat: ChatState
    user: JsonDict

    async def send_album(
        self,
        photos: Sequence[bytes],
        caption: str | None = None,
        *,
        order: Sequence[int] | None = None,
        hold: int = 0,
        split: bool = False,
    ) -> SentAlbum:
        """Send `photos` as one album; updates go out in `order` (indices into `photos`).

        `hold`: the last `hold` parts (in delivery order) wait for `album.deliver()`.
        `split`: the second half waits until the bot has fetched the first half, so the
        album reaches it in two getUpdates batches.
        """
        if len(photos) not in ALBUM_SIZES:
            raise ValueError("an album holds 2 to 10 photos")
        order = list(range(len(photos))) if order is None else list(order)
        if sorted(order) != list(range(len(photos))):
            raise ValueError("order must be a permutation of the photos' indices")
        group_id = str(secrets.randbits(62))
        messages = [
            self._st.add_message(self._chat, self.user, self._album_content(data, group_id))
            for data in photos
        ]
        if caption:  # Telegram clients put an album's caption on its first item
            messages[0]["caption"] = caption
            self._chat.messages[messages[0]["message_id"]]["caption"] = caption
        album = SentAlbum(self._st, self._chat, messages)
        in_order = [messages[i] for i in order]
        now = in_order[: len(in_order) - hold] if hold else in_order
        album.held = in_order[len(now) :]
        later = now[(len(now) + 1) // 2 :] if split else []
        for message in now[: len(now) - len(later)]:
            album.push(message)
        if later:
            first_half_last = album.update_ids[-1]
            album.task = asyncio.create_task(album_second_half(album, first_half_last, later))
        return album

    def _album_content(self, data: bytes, group_id: str) -> JsonDict:
        image = open_image(data)
        if image is None:
            raise ValueError("Telegram clients only send decodable images as photos")
        return {"photo": store_photo(self._st.files, data, image), "media_group_id": group_id}


async def album_second_half(album: SentAlbum, after: int, messages: list[JsonDict]) -> None:
    """Push `messages` once update `after` was fetched: they arrive in a later batch."""
    await album.fetched(after)
    for message in messages:
        album.push(message)
