"""Bot API methods around the messages: identity, updates, webhooks, commands, queries, files."""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import urlsplit

from .api_messages import Handler
from .errors import ApiError, JsonDict, bad_request
from .media import is_local_url
from .rules import (
    CHAT_ACTIONS,
    MAX_CALLBACK_ANSWER_LENGTH,
    MAX_DOWNLOAD_BYTES,
    QUERY_TOO_OLD,
    check_commands,
)
from .state import ApiRequest, EmulatorState

_TERMINATED = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)
_WEBHOOK_ACTIVE = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
_MAX_POLL_SECONDS = 50.0


async def get_me(st: EmulatorState, req: ApiRequest) -> JsonDict:
    return dict(st.bot_user)


async def get_updates(st: EmulatorState, req: ApiRequest) -> list[JsonDict]:
    """Long polling; a newer getUpdates ends an older pending one with 409, as Telegram does."""
    if st.webhook is not None:
        raise ApiError(409, _WEBHOOK_ACTIVE)
    queue = st.updates
    queue.poll_generation += 1
    generation = queue.poll_generation
    st.signal.notify()
    queue.confirm(int(req.params.get("offset") or 0))
    if req.params.get("allowed_updates") is not None:
        queue.allowed = list(req.params["allowed_updates"])
    limit = int(req.params.get("limit") or 100)
    timeout = min(float(req.params.get("timeout") or 0), _MAX_POLL_SECONDS)

    def ready() -> list[JsonDict] | None:
        if st.closing:
            return []
        if queue.poll_generation != generation:
            raise ApiError(409, _TERMINATED)
        return queue.available(limit) or None

    updates = await st.signal.wait_for(ready, timeout) or []
    queue.mark_delivered(updates)
    return updates


async def set_webhook(st: EmulatorState, req: ApiRequest) -> bool:
    """Plain http is accepted for local receivers only, so tests can run PTB's webhook server."""
    url = str(req.params.get("url") or "")
    if not url:
        return await delete_webhook(st, req)
    scheme = urlsplit(url).scheme
    if scheme != "https" and not (scheme == "http" and is_local_url(url)):
        raise bad_request("bad webhook: HTTPS url must be provided for webhook")
    if req.params.get("drop_pending_updates"):
        st.updates.drop_all()
    if req.params.get("allowed_updates") is not None:
        st.updates.allowed = list(req.params["allowed_updates"])
    st.webhook = {
        "url": url,
        "secret_token": req.params.get("secret_token"),
        "max_connections": int(req.params.get("max_connections") or 40),
    }
    st.signal.notify()
    return True


async def delete_webhook(st: EmulatorState, req: ApiRequest) -> bool:
    st.webhook = None
    if req.params.get("drop_pending_updates"):
        st.updates.drop_all()
    st.signal.notify()
    return True


async def get_webhook_info(st: EmulatorState, req: ApiRequest) -> JsonDict:
    hook = st.webhook or {}
    info: JsonDict = {
        "url": hook.get("url", ""),
        "has_custom_certificate": False,
        "pending_update_count": len(st.updates.pending),
    }
    if hook:
        info["max_connections"] = hook["max_connections"]
        for key in ("last_error_date", "last_error_message"):
            if key in hook:
                info[key] = hook[key]
        if st.updates.allowed:
            info["allowed_updates"] = st.updates.allowed
    return info


def commands_key(scope: Any, language_code: Any) -> tuple[str, str]:
    """Telegram keeps one command list per (scope, language_code) pair."""
    return json.dumps(scope or {"type": "default"}, sort_keys=True), str(language_code or "")


async def set_my_commands(st: EmulatorState, req: ApiRequest) -> bool:
    commands = check_commands(req.params.get("commands"))
    key = commands_key(req.params.get("scope"), req.params.get("language_code"))
    st.commands[key] = commands
    return True


async def get_my_commands(st: EmulatorState, req: ApiRequest) -> list[JsonDict]:
    key = commands_key(req.params.get("scope"), req.params.get("language_code"))
    return list(st.commands.get(key, []))


async def delete_my_commands(st: EmulatorState, req: ApiRequest) -> bool:
    st.commands.pop(commands_key(req.params.get("scope"), req.params.get("language_code")), None)
    return True


async def set_chat_menu_button(st: EmulatorState, req: ApiRequest) -> bool:
    chat_id = req.params.get("chat_id")
    if chat_id is not None:
        st.chat(chat_id)
    st.menu_buttons[chat_id] = req.params.get("menu_button") or {"type": "default"}
    return True


async def get_chat_menu_button(st: EmulatorState, req: ApiRequest) -> JsonDict:
    chat_id = req.params.get("chat_id")
    return st.menu_buttons.get(chat_id) or st.menu_buttons.get(None) or {"type": "commands"}


def _bot_text(field: str, setter: bool) -> Handler:
    """setMyName/Description/ShortDescription and their getters, stored per language."""

    async def handler(st: EmulatorState, req: ApiRequest) -> Any:
        key = f"{field}:{req.params.get('language_code') or ''}"
        if setter:
            st.bot_texts[key] = str(req.params.get(field) or "")
            return True
        return {field: st.bot_texts.get(key, "")}

    return handler


async def send_chat_action(st: EmulatorState, req: ApiRequest) -> bool:
    chat = st.writable_chat(req.params.get("chat_id"))
    action = str(req.params.get("action") or "")
    if action not in CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    chat.actions.append(action)
    st.signal.notify()
    return True


async def answer_callback_query(st: EmulatorState, req: ApiRequest) -> bool:
    """Each query takes one answer within `callback_timeout` seconds, else Telegram's 400."""
    query = st.callbacks.get(str(req.params.get("callback_query_id") or ""))
    if query is None or query.answer is not None:
        raise bad_request(QUERY_TOO_OLD)
    if time.monotonic() - query.sent_at > st.callback_timeout:
        raise bad_request(QUERY_TOO_OLD)
    text = str(req.params.get("text") or "")
    if len(text) > MAX_CALLBACK_ANSWER_LENGTH:
        raise bad_request("MESSAGE_TOO_LONG")
    query.answer = {k: v for k, v in req.params.items() if k != "callback_query_id"}
    if text and query.chat_id in st.chats:
        verb = "alerts" if req.params.get("show_alert") else "answers callback"
        st.note(st.chats[query.chat_id], f"bot {verb}: {text}")
    st.signal.notify()
    return True


async def get_file(st: EmulatorState, req: ApiRequest) -> JsonDict:
    stored = st.files.resolve(str(req.params.get("file_id") or ""))
    if stored is None:
        raise bad_request("invalid file_id")
    if stored.size > MAX_DOWNLOAD_BYTES:
        raise bad_request("file is too big")
    return {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_size": stored.size,
        "file_path": st.files.path_of(stored),
    }


HANDLERS: dict[str, Handler] = {
    "getMe": get_me,
    "getUpdates": get_updates,
    "setWebhook": set_webhook,
    "deleteWebhook": delete_webhook,
    "getWebhookInfo": get_webhook_info,
    "setMyCommands": set_my_commands,
    "getMyCommands": get_my_commands,
    "deleteMyCommands": delete_my_commands,
    "setChatMenuButton": set_chat_menu_button,
    "getChatMenuButton": get_chat_menu_button,
    "sendChatAction": send_chat_action,
    "answerCallbackQuery": answer_callback_query,
    "getFile": get_file,
    **{
        f"{verb}My{name}": _bot_text(field, verb == "set")
        for verb in ("set", "get")
        for name, field in (
            ("Name", "name"),
            ("Description", "description"),
            ("ShortDescription", "short_description"),
        )
    },
}
