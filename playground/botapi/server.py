"""The HTTP side: aiohttp routes speaking the Bot API wire format exactly as PTB sends it.

PTB POSTs to `{base_url}{token}/{method}` with `application/x-www-form-urlencoded` bodies, or
`multipart/form-data` when it uploads files. Strings travel raw; everything else (numbers,
booleans, reply_markup, media, entities, prices...) is JSON-encoded into the form field.
Uploads are parts named after the parameter, or referenced as `attach://<name>` inside
InputMedia JSON. Files download with GET `{file_base_url}{token}/{file_path}`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import time
from typing import Any

import aiohttp
from aiohttp import web

from . import api_inline, api_messages, api_misc, api_payments, api_stars, api_stickers
from .errors import ApiError, JsonDict
from .media import Upload, is_local_url
from .rules import is_message_method
from .state import ApiCall, ApiRequest, EmulatorState

HANDLERS = {
    **api_messages.HANDLERS,
    **api_misc.HANDLERS,
    **api_payments.HANDLERS,
    **api_inline.HANDLERS,
    **api_stickers.HANDLERS,
    **api_stars.HANDLERS,
}
_BY_LOWER = {name.lower(): name for name in HANDLERS}
_MAX_BODY = 64 * 1024 * 1024
# Form fields that are strings in the Bot API: never JSON-decode them ("123" stays text).
_RAW_STRING_WORDS = """
text caption parse_mode callback_query_id pre_checkout_query_id inline_message_id url
secret_token ip_address title description short_description name payload provider_token
currency start_parameter provider_data error_message telegram_payment_charge_id file_id
language_code action emoji photo document video animation audio voice sticker video_note
thumbnail business_connection_id message_effect_id phone_number first_name last_name vcard
performer file_name address foursquare_id
inline_query_id next_offset
"""
_RAW_STRING_FIELDS = frozenset(_RAW_STRING_WORDS.split())


def decode_field(name: str, raw: str) -> Any:
    """Undoes PTB's encoding: JSON for non-strings, raw text for string parameters."""
    if name in _RAW_STRING_FIELDS:
        return raw
    try:
        value = json.loads(raw)
    except ValueError:
        return raw
    return raw if isinstance(value, str) else value


async def parse_request(request: web.Request) -> tuple[JsonDict, dict[str, Upload]]:
    params: JsonDict = {k: decode_field(k, v) for k, v in request.query.items()}
    files: dict[str, Upload] = {}
    if request.content_type == "application/json":
        body = await request.json()
        if isinstance(body, dict):
            params.update(body)
    elif request.can_read_body:
        form = await request.post()
        for name, value in form.items():
            if isinstance(value, web.FileField):
                data = value.file.read()
                files[name] = Upload(value.filename, value.content_type, data)
            else:
                params[name] = decode_field(name, str(value))
    return params, files


def _json(body: JsonDict) -> web.Response:
    status = 200 if body.get("ok") else int(body.get("error_code", 500))
    return web.json_response(body, status=status, dumps=lambda o: json.dumps(o, ensure_ascii=False))


class ApiServer:
    """Binds 127.0.0.1 on a free port and serves one emulated bot."""

    def __init__(self, state: EmulatorState, host: str = "127.0.0.1") -> None:
        self._state = state
        self._host = host
        self._runner: web.AppRunner | None = None
        self._webhook_task: asyncio.Task[None] | None = None
        self.port = 0

    async def start(self) -> None:
        app = web.Application(client_max_size=_MAX_BODY)
        app.router.add_route("*", "/bot{token}/{method}", self._api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._file)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind((self._host, 0))
        self.port = sock.getsockname()[1]
        await web.SockSite(self._runner, sock).start()
        self._webhook_task = asyncio.create_task(self._deliver_webhooks())

    async def stop(self) -> None:
        self._state.closing = True
        self._state.signal.notify()
        for hold in self._state.holds.values():
            hold.discard()
        if self._webhook_task is not None:
            self._webhook_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._webhook_task
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _api(self, request: web.Request) -> web.Response:
        st = self._state
        method = request.match_info["method"]
        call = ApiCall(_BY_LOWER.get(method.lower(), method), {}, {}, time.monotonic())
        try:
            call.params, files = await parse_request(request)
        except web.HTTPRequestEntityTooLarge:
            return _json(ApiError(413, "Request Entity Too Large").to_json())
        except ConnectionResetError:  # the client went away mid-request (e.g. a bot stopping)
            return web.Response(status=400)
        except (ValueError, web.HTTPException) as exc:
            call.response = ApiError(400, f"Bad Request: can't parse request: {exc}").to_json()
            return _json(call.response)
        call.files = {name: upload.data for name, upload in files.items()}
        st.calls.append(call)
        if request.match_info["token"] != st.token:
            call.response = ApiError(401, "Unauthorized").to_json()
        else:
            if st.latency > 0:
                await asyncio.sleep(st.latency)
            call.response = await self._held_dispatch(ApiRequest(call.method, call.params, files))
            after_update = st.holds.get("*")
            if after_update is not None and call.method == "getUpdates":
                after_update.arm_if_served(call.response.get("result"))
        return _json(call.response)

    async def _held_dispatch(self, req: ApiRequest) -> JsonDict:
        """`_dispatch`, parked before or after execution while a test holds the method."""
        hold = self._state.holds.get(req.method)
        if hold is None:
            hold = self._state.holds.get("*")  # emu.hold_after_update
            if hold is not None and (req.method == "getUpdates" or not hold.armed):
                return await self._dispatch(req)
        if hold is None or not hold.active:
            return await self._dispatch(req)
        if not hold.after:
            try:
                await hold.park()
            except ApiError as error:
                return error.to_json()
        response = await self._dispatch(req)
        if hold.after:
            await hold.park()
        return response

    async def _dispatch(self, req: ApiRequest) -> JsonDict:
        handler = HANDLERS.get(req.method)
        if handler is None:
            return ApiError(404, "Not Found").to_json()
        try:
            faults = self._state.faults.get(req.method)
            if faults:
                raise faults.pop(0)
            if is_message_method(req.method):
                self._state.rate.admit(req.params.get("chat_id"), time.monotonic())
            return {"ok": True, "result": await handler(self._state, req)}
        except ApiError as error:
            return error.to_json()

    async def _file(self, request: web.Request) -> web.Response:
        st = self._state
        if request.match_info["token"] != st.token:
            return _json(ApiError(401, "Unauthorized").to_json())
        stored = st.files.by_path(request.match_info["path"])
        if stored is None:
            return _json(ApiError(404, "Not Found").to_json())
        st.downloads.append(request.match_info["path"])
        mime = str(stored.meta.get("mime_type") or "application/octet-stream")
        return web.Response(body=stored.data, content_type=mime)

    async def _deliver_webhooks(self) -> None:
        """Telegram POSTs each update to the webhook and drops it once answered with 2xx."""
        st = self._state

        def next_update() -> JsonDict | None:
            hook = st.webhook
            if hook is None or not is_local_url(hook["url"]):
                return None
            updates = st.updates.available(1)
            return updates[0] if updates else None

        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
            while True:
                update = await st.signal.wait_for(next_update, 1.0)
                hook = st.webhook
                if update is None or hook is None:
                    continue
                headers = {}
                if hook.get("secret_token"):
                    headers["X-Telegram-Bot-Api-Secret-Token"] = str(hook["secret_token"])
                try:
                    async with session.post(hook["url"], json=update, headers=headers) as resp:
                        delivered = 200 <= resp.status < 300
                        error = f"Wrong response from the webhook: {resp.status} {resp.reason}"
                except (aiohttp.ClientError, TimeoutError) as exc:
                    delivered, error = False, f"Connection failed: {exc.__class__.__name__}"
                if delivered:
                    st.updates.mark_delivered([update])
                    st.updates.confirm(update["update_id"] + 1)
                else:
                    hook.update(last_error_date=int(time.time()), last_error_message=error)
                    await asyncio.sleep(0.2)
