"""The chat page's HTTP side: the page itself, small JSON endpoints that act as the fake users,
a server-sent event stream of what the bot does, and the chat's files.

Endpoints (all JSON unless noted):
  GET  /play/api/state              bot, users (language, play Stars), which image model
  GET  /play/api/commands?user=ID   the bot's command menu as Telegram would show this user
  POST /play/api/send               {user, text, reply_to?}, or multipart: user,
                                    kind (photo/file), file, caption
  POST /play/api/press              {user, message_id, data} -> the bot's callback answer
  POST /play/api/pay                {user, message_id} -> {ok, error}
  POST /play/api/language           {user, language}
  GET  /play/events                 text/event-stream of ChatFeed events
  GET  /play/file/{file_id}         the bytes of a photo or file in the chat
"""

from __future__ import annotations

import asyncio
import io
import json
from pathlib import Path
from typing import Any

from aiohttp import web
from PIL import Image

from playground.botapi import BotApiEmulator, FakeUser
from playground.feed import ChatFeed
from playground.people import People
from playground.sample_photo import sample_selfie
from playground.web_guard import same_origin_only

WEB_DIR = Path(__file__).with_name("web")
MAX_UPLOAD = 25 * 1024 * 1024
CALLBACK_WAIT = 5.0  # a Telegram client gives up its spinner after a few seconds too

JsonDict = dict[str, Any]


def _refuse(message: str, status: int = 400) -> web.HTTPException:
    kind = web.HTTPNotFound if status == 404 else web.HTTPBadRequest
    return kind(text=json.dumps({"ok": False, "error": message}), content_type="application/json")


class PlayWeb:
    """Routes bound to one emulator, its people and its feed."""

    def __init__(
        self, emu: BotApiEmulator, people: People, feed: ChatFeed, *, bot_name: str, model: str
    ) -> None:
        self.emu, self.people, self.feed = emu, people, feed
        self.bot_name, self.model = bot_name, model

    def app(self) -> web.Application:
        app = web.Application(client_max_size=MAX_UPLOAD, middlewares=[same_origin_only])
        app.router.add_get("/", self.index)
        app.router.add_static("/play/web/", WEB_DIR)
        app.router.add_get("/play/api/state", self.state)
        app.router.add_get("/play/api/commands", self.commands)
        app.router.add_get("/play/api/sample.jpg", self.sample)
        app.router.add_post("/play/api/send", self.send)
        app.router.add_post("/play/api/press", self.press)
        app.router.add_post("/play/api/pay", self.pay)
        app.router.add_post("/play/api/language", self.language)
        app.router.add_get("/play/events", self.events)
        app.router.add_get("/play/file/{file_id}", self.file)
        return app

    async def index(self, request: web.Request) -> web.FileResponse:
        return web.FileResponse(WEB_DIR / "index.html", headers={"Cache-Control": "no-store"})

    async def state(self, request: web.Request) -> web.Response:
        bot = {"name": self.bot_name, "username": self.emu.bot_username}
        return web.json_response({"bot": bot, "users": self.people.describe(), "model": self.model})

    async def commands(self, request: web.Request) -> web.Response:
        user = self._user(request.query.get("user"))
        lang = str(user.user.get("language_code") or "")
        chat_scope = {"type": "chat", "chat_id": user.id}
        for scope, code in ((chat_scope, lang), (chat_scope, ""), (None, lang), (None, "")):
            found = self.emu.my_commands(scope, code)
            if found:
                return web.json_response(found)
        return web.json_response([])

    async def sample(self, request: web.Request) -> web.Response:
        data = await asyncio.to_thread(sample_selfie)
        return web.Response(body=data, content_type="image/jpeg")

    async def send(self, request: web.Request) -> web.Response:
        if request.content_type == "application/json":
            body = await self._json(request)
            user = self._user(body.get("user"))
            text = str(body.get("text") or "").strip()
            if not text:
                raise _refuse("nothing to send")
            replied = body.get("reply_to")
            target = None if replied is None else self._message(user.id, replied)
            message = await user.send_text(text, reply_to=target)
            return web.json_response({"ok": True, "message_id": message["message_id"]})
        form = await request.post()
        user = self._user(form.get("user"))
        uploads = [f for f in form.getall("file", []) if isinstance(f, web.FileField)]
        if not uploads:
            raise _refuse("attach a file")
        caption = str(form.get("caption") or "") or None
        if form.get("kind") == "photo":
            try:
                if len(uploads) > 1:  # an album: 2-10 photos under one media_group_id
                    album = await user.send_album([u.file.read() for u in uploads], caption)
                    message = album.messages[0]
                else:
                    message = await user.send_photo(uploads[0].file.read(), caption)
            except ValueError as exc:
                raise _refuse(_photo_refusal(str(exc))) from None
        else:
            upload = uploads[0]
            name = upload.filename or "file"
            mime = upload.content_type or "application/octet-stream"
            message = await user.send_document(upload.file.read(), name, mime, caption)
        return web.json_response({"ok": True, "message_id": message["message_id"]})

    async def press(self, request: web.Request) -> web.Response:
        body = await self._json(request)
        user = self._user(body.get("user"))
        message = self._message(user.id, body.get("message_id"))
        query_id = await user.press(message, str(body.get("data") or ""))
        try:
            answer = await self.emu.wait_callback_answered(query_id, CALLBACK_WAIT)
        except TimeoutError:
            answer = None
        return web.json_response({"ok": True, "answer": answer})

    async def pay(self, request: web.Request) -> web.Response:
        body = await self._json(request)
        user = self._user(body.get("user"))
        message = self._message(user.id, body.get("message_id"))
        invoice = message.get("invoice")
        if not invoice:
            raise _refuse("that message is not an invoice")
        price = int(invoice["total_amount"])
        if self.people.stars(user.id) < price:
            return web.json_response({"ok": False, "error": "Not enough Stars in the play wallet."})
        ok, error = await user.pay(message)
        if ok and user.last_payment is not None:
            charge = user.last_payment["successful_payment"]["telegram_payment_charge_id"]
            self.people.wallets[user.id].paid[charge] = price
        return web.json_response({"ok": ok, "error": error, "stars": self.people.stars(user.id)})

    async def language(self, request: web.Request) -> web.Response:
        body = await self._json(request)
        user = self._user(body.get("user"))
        try:
            self.people.set_language(user.id, str(body.get("language")))
        except ValueError as exc:
            raise _refuse(str(exc)) from None
        return web.json_response({"ok": True})

    async def events(self, request: web.Request) -> web.StreamResponse:
        return await self.feed.stream(request)

    async def file(self, request: web.Request) -> web.Response:
        try:
            data = self.emu.file_bytes(request.match_info["file_id"])
        except KeyError:
            raise _refuse("no such file", 404) from None
        headers = {"Cache-Control": "private, max-age=86400, immutable"}
        return web.Response(body=data, content_type=_sniff(data), headers=headers)

    def _user(self, value: object) -> FakeUser:
        try:
            return self.people.user(int(str(value)))
        except (KeyError, ValueError):
            raise _refuse(f"unknown user {value!r}") from None

    def _message(self, chat_id: int, message_id: object) -> JsonDict:
        for message in self.emu.chat_messages(chat_id):
            if str(message["message_id"]) == str(message_id):
                return message
        raise _refuse("that message is gone", 404)

    async def _json(self, request: web.Request) -> JsonDict:
        try:
            body = await request.json()
        except ValueError:
            raise _refuse("expected a JSON body") from None
        if not isinstance(body, dict):
            raise _refuse("expected a JSON object")
        return body


def _photo_refusal(reason: str) -> str:
    if "album" in reason:
        return "An album holds 2 to 10 photos."
    return "Only images can be sent as a photo; send it as a file."


def _sniff(data: bytes) -> str:
    try:
        with Image.open(io.BytesIO(data)) as image:
            return Image.MIME.get(image.format or "", "application/octet-stream")
    except (OSError, ValueError):
        return "application/octet-stream"
