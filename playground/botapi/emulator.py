"""`BotApiEmulator`: the public face of the fake Telegram that the bot's real PTB app talks to.

Point PTB at it with `ApplicationBuilder().base_url(emu.api_base_url)
.base_file_url(emu.file_base_url)`; drive users through `emu.user(...)`; inspect what the bot
did through `calls`, `transcript` and each user's `messages`.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from types import TracebackType

from .api_misc import commands_key
from .errors import ApiError, JsonDict
from .holds import Hold
from .server import HANDLERS, ApiServer
from .state import ApiCall, EmulatorState
from .user_chats import FakeChat
from .users import FakeUser

_DEFAULT_FAULTS = {
    400: "Bad Request: injected failure",
    403: "Forbidden: injected failure",
    429: "Too Many Requests: retry after {retry_after}",
    500: "Internal Server Error",
    502: "Bad Gateway",
}


class BotApiEmulator:
    """An in-process Telegram Bot API server on 127.0.0.1 (random free port) for one bot."""

    def __init__(
        self,
        token: str = "123456:TEST-TOKEN",
        bot_username: str = "aivenger_test_bot",
        *,
        bot_first_name: str = "AIVenger Test",
    ) -> None:
        self._state = EmulatorState(token, bot_username, bot_first_name)
        self._server = ApiServer(self._state)
        self._users: dict[int, FakeUser] = {}

    async def start(self) -> None:
        await self._server.start()

    async def stop(self) -> None:
        """Ends pending long polls and waits, then closes the server."""
        await self._server.stop()

    async def __aenter__(self) -> BotApiEmulator:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def api_base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.port}/bot"

    @property
    def file_base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.port}/file/bot"

    @property
    def token(self) -> str:
        return self._state.token

    @property
    def bot_id(self) -> int:
        return self._state.bot_id

    @property
    def bot_username(self) -> str:
        return str(self._state.bot_user["username"])

    def user(
        self,
        user_id: int,
        first_name: str | None = None,
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "en",
        is_premium: bool | None = None,
    ) -> FakeUser:
        """The user with this id (created on first call) and their private chat."""
        if user_id not in self._users:
            user: JsonDict = {
                "id": user_id,
                "is_bot": False,
                "first_name": first_name or f"User{user_id}",
            }
            extra = {
                "last_name": last_name,
                "username": username,
                "language_code": language_code,
                "is_premium": is_premium,
            }
            user.update({k: v for k, v in extra.items() if v is not None})
            self._users[user_id] = FakeUser(self._state, user)
        return self._users[user_id]

    def group(self, chat_id: int, *, kind: str = "supergroup", title: str = "Group") -> FakeChat:
        """A group, supergroup or channel the bot is a member of (created on first call)."""
        return FakeChat(self._state, chat_id, kind, title)

    def enable_inline(self, *, feedback: bool = True) -> None:
        """What /setinline (and /setinlinefeedback) in @BotFather do for a real bot."""
        self._state.bot_user["supports_inline_queries"] = True
        self._state.inline_feedback = feedback

    def sticker_set(self, name: str) -> JsonDict | None:
        """A sticker set as Telegram holds it (None if never created); `deleted` if the user
        removed it."""
        found = self._state.sticker_sets.get(name.lower())
        return copy.deepcopy(found) if found else None

    @property
    def sticker_set_limit(self) -> int:
        return self._state.sticker_set_limit

    @sticker_set_limit.setter
    def sticker_set_limit(self, count: int) -> None:
        self._state.sticker_set_limit = count

    def on_change(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Calls `listener` after every change (a message, edit, deletion, chat action, answer);
        returns the function that unsubscribes it. Listeners run synchronously: keep them cheap."""
        return self._state.signal.subscribe(listener)

    def chat_messages(self, chat_id: int) -> list[JsonDict]:
        """Every message in a chat, the user's and the bot's, as they are now."""
        chat = self._state.chats.get(chat_id)
        return [copy.deepcopy(m) for _, m in sorted(chat.messages.items())] if chat else []

    def calls(self, method: str | None = None) -> list[ApiCall]:
        """Every request the bot made, in arrival order (optionally one method only)."""
        return [c for c in self._state.calls if method is None or c.method == method]

    def transcript(self, chat_id: int) -> list[str]:
        chat = self._state.chats.get(chat_id)
        return list(chat.transcript) if chat else []

    def replay_update(self, update_id: int) -> None:
        """Redelivers an update with its original update_id even if an offset confirmed it."""
        self._state.updates.replay(update_id)

    def update_ids(self, kind: str | None = None) -> list[int]:
        """Every update ever queued (optionally of one kind), oldest first, for replays."""
        history = self._state.updates.history
        return [uid for uid in sorted(history) if kind is None or kind in history[uid]]

    def hold(self, method: str, *, after: bool = False) -> Hold:
        """Park calls of `method` before Telegram executes them (or, `after`, before it
        answers) until the returned Hold is released or discarded; see `holds.py`."""
        if method not in HANDLERS:
            raise ValueError(f"unknown Bot API method {method!r}")
        hold = self._state.holds[method] = Hold(method, after=after)
        return hold

    def hold_after_update(self, update_id: int) -> Hold:
        """Once a getUpdates answer has carried `update_id`, park every later request except
        getUpdates (which still confirms offsets, as Telegram does on arrival) until the Hold
        is released or discarded: the bot has the update and cannot act on it yet."""
        hold = Hold("*", after=False, after_update=update_id)
        self._state.holds["*"] = hold
        return hold

    def confirmed(self, update_id: int) -> bool:
        """Telegram no longer keeps this update: it was delivered and a later offset (or a
        2xx webhook answer) confirmed it; a replay counts once it is delivered and confirmed
        again."""
        queue = self._state.updates
        if update_id not in queue.history:
            return False
        return update_id not in queue.replays and all(
            u["update_id"] != update_id for u in queue.pending
        )

    @property
    def star_transactions(self) -> list[JsonDict]:
        """The bot's Stars history, oldest first (getStarTransactions answers newest first)."""
        return [dict(t) for t in self._state.star_transactions]

    def push_update(self, kind: str, payload: JsonDict) -> int:
        return self._state.updates.push(kind, copy.deepcopy(payload))

    @property
    def pending_updates(self) -> int:
        return len(self._state.updates.pending)

    def file_bytes(self, file_id: str) -> bytes:
        return self._state.files.get(file_id).data

    @property
    def uploads(self) -> int:
        """Files the bot uploaded (multipart parts turned into files), by any method."""
        return self._state.uploads

    @property
    def downloads(self) -> list[str]:
        """file_paths the bot downloaded, in order."""
        return list(self._state.downloads)

    def invalidate_file_ids(self) -> None:
        self._state.files.invalidate_all()

    @property
    def latency(self) -> float:
        return self._state.latency

    @latency.setter
    def latency(self, seconds: float) -> None:
        self._state.latency = seconds

    @property
    def callback_timeout(self) -> float:
        return self._state.callback_timeout

    @callback_timeout.setter
    def callback_timeout(self, seconds: float) -> None:
        self._state.callback_timeout = seconds

    @property
    def pre_checkout_timeout(self) -> float:
        return self._state.pre_checkout_timeout

    @pre_checkout_timeout.setter
    def pre_checkout_timeout(self, seconds: float) -> None:
        self._state.pre_checkout_timeout = seconds

    def set_rate_limit(
        self, global_per_second: int | None = None, *, per_chat_per_second: int | None = None
    ) -> None:
        """Flood limits over send*/edit*/copy*/forward*; None disables a limit."""
        self._state.rate.global_per_second = global_per_second
        self._state.rate.per_chat_per_second = per_chat_per_second

    @property
    def rate_limited_count(self) -> int:
        return self._state.rate.limited_count

    def fail_next(
        self,
        method: str,
        times: int = 1,
        status: int = 500,
        description: str | None = None,
        *,
        retry_after: int = 1,
    ) -> None:
        """The next `times` calls of `method` fail with this status (429 carries retry_after)."""
        if method not in HANDLERS:
            raise ValueError(f"unknown Bot API method {method!r}")
        text = (description or _DEFAULT_FAULTS.get(status, "Injected failure")).format(
            retry_after=retry_after
        )
        parameters = {"retry_after": retry_after} if status == 429 else None
        queue = self._state.faults.setdefault(method, [])
        queue.extend(ApiError(status, text, parameters) for _ in range(times))

    def callback_answer(self, callback_query_id: str) -> JsonDict | None:
        query = self._state.callbacks.get(callback_query_id)
        return dict(query.answer) if query and query.answer is not None else None

    async def wait_callback_answered(
        self, callback_query_id: str, timeout: float = 5.0
    ) -> JsonDict:
        answer = await self._state.signal.wait_for(
            lambda: self.callback_answer(callback_query_id), timeout
        )
        if answer is None:
            raise TimeoutError(f"callback query {callback_query_id} not answered in {timeout}s")
        return answer

    @property
    def refunds(self) -> list[JsonDict]:
        return [dict(r) for r in self._state.refunds]

    def my_commands(self, scope: JsonDict | None = None, language_code: str = "") -> list[JsonDict]:
        """The command list stored for (scope, language_code), as setMyCommands left it."""
        return list(self._state.commands.get(commands_key(scope, language_code), []))

    @property
    def webhook_url(self) -> str | None:
        return self._state.webhook["url"] if self._state.webhook else None

    def __repr__(self) -> str:
        return f"<BotApiEmulator @{self.bot_username} on {self.api_base_url}>"
