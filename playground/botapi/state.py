"""Everything the emulated Telegram remembers: chats, messages, updates, queries, payments.

State is plain data mutated from one event loop; `Signal` wakes whoever waits on it (long
polls, `FakeUser.wait_for`, payment flows) after any change, so nothing polls on a timer.
"""

from __future__ import annotations

import asyncio
import copy
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from .errors import ApiError, JsonDict, bad_request, forbidden
from .holds import Hold
from .media import FileStore, Upload
from .rules import BLOCKED, RateLimiter

T = TypeVar("T")
# Telegram's default when a bot never set allowed_updates.
DEFAULT_EXCLUDED_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})


@dataclass
class ApiCall:
    """One request the bot made; `at` is its arrival (monotonic), `response` the JSON answer."""

    method: str
    params: JsonDict
    files: dict[str, bytes]
    at: float
    response: JsonDict = field(default_factory=dict)


@dataclass
class ApiRequest:
    method: str
    params: JsonDict
    files: dict[str, Upload]


@dataclass
class QueryState:
    """A callback or pre-checkout query awaiting the bot's answer, which has a deadline."""

    query_id: str
    chat_id: int
    sent_at: float
    answer: JsonDict | None = None


@dataclass
class Charge:
    user_id: int
    currency: str
    total_amount: int
    refunded: bool = False
    payload: str = ""  # the invoice payload, as getStarTransactions reports it


@dataclass
class ChatState:
    chat: JsonDict
    messages: dict[int, JsonDict] = field(default_factory=dict)
    deleted: dict[int, JsonDict] = field(default_factory=dict)
    next_message_id: int = 1
    transcript: list[str] = field(default_factory=list)
    # (sequence number, snapshot) for every bot message sent or edited, in order.
    events: list[tuple[int, JsonDict]] = field(default_factory=list)
    action_seq: int = 0
    actions: list[str] = field(default_factory=list)
    reply_keyboard: JsonDict | None = None
    blocked: bool = False


class Signal:
    """Broadcast wake-up: `wait_for` re-checks its predicate after every `notify`."""

    def __init__(self) -> None:
        self._waiters: set[asyncio.Future[None]] = set()
        self._listeners: list[Callable[[], None]] = []

    def subscribe(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Calls `listener` (synchronously, so keep it cheap) after every change; returns the
        unsubscribe function. The playground's live chat page is fed this way."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def notify(self) -> None:
        for listener in list(self._listeners):
            listener()
        for waiter in self._waiters:
            if not waiter.done():
                waiter.set_result(None)
        self._waiters.clear()

    async def wait_for(self, predicate: Callable[[], T | None], timeout: float) -> T | None:
        """The predicate's first non-None result, or None once `timeout` seconds pass."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            result = predicate()
            remaining = deadline - loop.time()
            if result is not None or remaining <= 0:
                return result
            waiter: asyncio.Future[None] = loop.create_future()
            self._waiters.add(waiter)
            try:
                await asyncio.wait({waiter}, timeout=remaining)
            finally:
                self._waiters.discard(waiter)


def update_kind(update: JsonDict) -> str:
    return next(key for key in update if key != "update_id")


class UpdateQueue:
    """Telegram's per-bot queue: an update stays until a getUpdates offset passes its id."""

    def __init__(self, signal: Signal) -> None:
        self._signal = signal
        self._next_id = 100_001
        self.pending: list[JsonDict] = []
        self.history: dict[int, JsonDict] = {}
        self.replays: dict[int, bool] = {}  # update_id -> delivered since the replay
        self.allowed: list[str] | None = None
        self.poll_generation = 0
        self.fetched = 0  # the highest update_id getUpdates has returned

    def push(self, kind: str, payload: JsonDict) -> int:
        update_id = self._next_id
        self._next_id += 1
        update = {"update_id": update_id, kind: payload}
        self.history[update_id] = update
        self.pending.append(update)
        self._signal.notify()
        return update_id

    def replay(self, update_id: int) -> None:
        if update_id not in self.history:
            raise KeyError(f"update {update_id} was never queued")
        self.replays[update_id] = False  # survives confirmation until delivered again
        self._signal.notify()

    def confirm(self, offset: int) -> None:
        """Positive offsets confirm everything below; negative keep only the last -offset."""
        if offset > 0:
            self.pending = [u for u in self.pending if u["update_id"] >= offset]
            self.replays = {u: d for u, d in self.replays.items() if not (d and u < offset)}
        elif offset < 0:
            self.pending = self.pending[offset:]
            self.replays.clear()

    def is_allowed(self, update: JsonDict) -> bool:
        kind = update_kind(update)
        return kind in self.allowed if self.allowed else kind not in DEFAULT_EXCLUDED_UPDATES

    def available(self, limit: int = 100) -> list[JsonDict]:
        items = {uid: self.history[uid] for uid in self.replays}
        items.update((u["update_id"], u) for u in self.pending if self.is_allowed(u))
        return [copy.deepcopy(items[uid]) for uid in sorted(items)][: max(1, min(limit, 100))]

    def mark_delivered(self, updates: list[JsonDict]) -> None:
        for update in updates:
            self.fetched = max(self.fetched, update["update_id"])
            if update["update_id"] in self.replays:
                self.replays[update["update_id"]] = True

    def drop_all(self) -> None:
        self.pending.clear()
        self.replays.clear()


class EmulatorState:
    """The shared world the API handlers and the user-side test API both act on."""

    def __init__(self, token: str, bot_username: str, bot_first_name: str) -> None:
        self.token = token
        self.bot_id = int(token.split(":", 1)[0])
        self.bot_user: JsonDict = {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }
        self.signal = Signal()
        self.updates = UpdateQueue(self.signal)
        self.files = FileStore()
        self.rate = RateLimiter()
        self.chats: dict[int, ChatState] = {}
        self.calls: list[ApiCall] = []
        self.faults: dict[str, list[ApiError]] = {}
        self.holds: dict[str, Hold] = {}
        self.callbacks: dict[str, QueryState] = {}
        self.pre_checkouts: dict[str, QueryState] = {}
        self.invoices: dict[tuple[int, int], JsonDict] = {}
        self.charges: dict[str, Charge] = {}
        self.refunds: list[JsonDict] = []
        # The bot's Stars history, oldest first (getStarTransactions answers newest first).
        self.star_transactions: list[JsonDict] = []
        self.commands: dict[tuple[str, str], list[JsonDict]] = {}
        self.menu_buttons: dict[int | None, JsonDict] = {}
        self.bot_texts: dict[str, str] = {}
        self.webhook: JsonDict | None = None
        self.downloads: list[str] = []
        self.uploads = 0
        self.latency = 0.0
        self.callback_timeout = 15.0
        self.pre_checkout_timeout = 10.0
        # Inline mode (off until enabled, as in @BotFather) and sticker sets by lower-case name.
        self.inline_queries: dict[str, Any] = {}
        self.inline_feedback = False
        self.inline_timeout = 10.0
        self.sticker_sets: dict[str, JsonDict] = {}
        self.sticker_set_limit = 120
        self.closing = False
        self._seq = 0

    def chat(self, chat_id: Any) -> ChatState:
        state = self.chats.get(chat_id) if isinstance(chat_id, int) else None
        if state is None:
            raise bad_request("chat not found")
        return state

    def writable_chat(self, chat_id: Any) -> ChatState:
        """A chat the bot may post to: blocked users answer 403 like in Telegram."""
        state = self.chat(chat_id)
        if state.blocked:
            raise forbidden(BLOCKED)
        return state

    def next_seq(self) -> int:
        self._seq += 1
        return self._seq

    @property
    def seq(self) -> int:
        return self._seq

    def add_message(
        self, chat: ChatState, sender: JsonDict, content: JsonDict, reply_to: int | None = None
    ) -> JsonDict:
        """Stores a new message; bot messages also become `wait_for` events."""
        message: JsonDict = {
            "message_id": chat.next_message_id,
            "from": copy.deepcopy(sender),
            "chat": copy.deepcopy(chat.chat),
            "date": int(time.time()),
            **content,
        }
        chat.next_message_id += 1
        if reply_to is not None and reply_to in chat.messages:
            replied = copy.deepcopy(chat.messages[reply_to])
            replied.pop("reply_to_message", None)
            message["reply_to_message"] = replied
        chat.messages[message["message_id"]] = message
        if sender["id"] == self.bot_id:
            self.bot_changed(chat, message)
        return copy.deepcopy(message)

    def bot_changed(self, chat: ChatState, message: JsonDict) -> None:
        chat.events.append((self.next_seq(), copy.deepcopy(message)))
        self.signal.notify()

    def note(self, chat: ChatState, line: str) -> None:
        chat.transcript.append(line.replace("\n", " ⏎ "))

    def queue_message(self, chat: ChatState, message: JsonDict, kind: str = "message") -> int:
        """Delivers a user-side message as an update; later bot output counts for `wait_for`."""
        chat.action_seq = self.seq
        return self.updates.push(kind, copy.deepcopy(message))
