"""The live feed behind the chat page: the emulator's changes as events, one stream per page.

The emulator calls us after every change (`BotApiEmulator.on_change`); we compare each watched
chat with what the pages were last told and publish only the difference: a message that is new
or changed (an edit, a new photo, new buttons), a deletion, or a chat action ("sending photo…").
A page that connects first gets a snapshot, so reloading it loses nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable, Iterable
from typing import Any

from aiohttp import web

from playground.botapi import BotApiEmulator

JsonDict = dict[str, Any]
KEEPALIVE = 15.0  # seconds between comments that keep an idle stream open
FILE_KINDS = ("document", "sticker", "video", "animation", "audio", "voice", "video_note")


def file_url(file_id: str) -> str:
    return f"/play/file/{file_id}"


def message_view(message: JsonDict, user_id: int) -> JsonDict:
    """The message as the page draws it: Telegram's JSON plus which side it is on and URLs."""
    view = dict(message)
    view["outgoing"] = message["from"]["id"] == user_id
    if message.get("photo"):
        largest = message["photo"][-1]
        view["photo_url"] = file_url(largest["file_id"])
        view["photo_size"] = [largest.get("width"), largest.get("height")]
    kind = next((k for k in FILE_KINDS if k in message), None)
    if kind is not None:
        view["file_kind"] = kind
        view["file_url"] = file_url(message[kind]["file_id"])
    return view


class ChatFeed:
    """Watches the chats of `user_ids` and fans their changes out to every subscriber."""

    def __init__(self, emu: BotApiEmulator, user_ids: Iterable[int]) -> None:
        self._emu = emu
        self._user_ids = list(user_ids)
        self._told: dict[int, dict[int, str]] = {uid: {} for uid in self._user_ids}
        self._actions: dict[int, int] = dict.fromkeys(self._user_ids, 0)
        self._subscribers: set[asyncio.Queue[JsonDict | None]] = set()
        self._dirty = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._unsubscribe: Callable[[], None] | None = None

    def start(self) -> None:
        self._unsubscribe = self._emu.on_change(self._dirty.set)
        self._task = asyncio.create_task(self._run(), name="playground-feed")
        self._dirty.set()

    async def stop(self) -> None:
        """Ends every open stream (so the web server can close) and stops watching."""
        if self._unsubscribe is not None:
            self._unsubscribe()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        for queue in self._subscribers:
            queue.put_nowait(None)

    async def _run(self) -> None:
        while True:
            await self._dirty.wait()
            self._dirty.clear()
            for event in self.changes():
                for queue in self._subscribers:
                    queue.put_nowait(event)

    def changes(self) -> list[JsonDict]:
        """What changed since the last call, oldest message first."""
        events: list[JsonDict] = []
        for uid in self._user_ids:
            told = self._told[uid]
            current = {m["message_id"]: m for m in self._emu.chat_messages(uid)}
            for message_id, message in current.items():
                fingerprint = json.dumps(message, sort_keys=True)
                if told.get(message_id) != fingerprint:
                    told[message_id] = fingerprint
                    view = message_view(message, uid)
                    events.append({"type": "message", "user": uid, "message": view})
            for message_id in [m for m in told if m not in current]:
                del told[message_id]
                events.append({"type": "delete", "user": uid, "message_id": message_id})
            actions = self._emu.user(uid).chat_actions
            for action in actions[self._actions[uid] :]:
                events.append({"type": "action", "user": uid, "action": action})
            self._actions[uid] = len(actions)
        return events

    def snapshot(self) -> list[JsonDict]:
        return [
            {"type": "message", "user": uid, "message": message_view(message, uid)}
            for uid in self._user_ids
            for message in self._emu.chat_messages(uid)
        ]

    @contextlib.asynccontextmanager
    async def subscribe(self) -> AsyncIterator[asyncio.Queue[JsonDict | None]]:
        """A queue that starts with the snapshot; None in it means the feed has stopped."""
        queue: asyncio.Queue[JsonDict | None] = asyncio.Queue()
        for event in self.snapshot():
            queue.put_nowait(event)
        self._subscribers.add(queue)
        try:
            yield queue
        finally:
            self._subscribers.discard(queue)

    async def stream(self, request: web.Request) -> web.StreamResponse:
        """Server-sent events: one `data:` line of JSON per event, until the feed stops."""
        response = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "Cache-Control": "no-store"}
        )
        await response.prepare(request)
        async with self.subscribe() as queue:
            while True:
                try:
                    event = await asyncio.wait_for(queue.get(), KEEPALIVE)
                except TimeoutError:
                    await response.write(b": keep-alive\n\n")
                    continue
                if event is None:
                    break
                payload = json.dumps(event, ensure_ascii=False)
                await response.write(f"data: {payload}\n\n".encode())
        return response
