"""A local HTTP fake of OpenRouter's chat completions and models endpoints (product.md §5).

It validates requests the way the real API would and answers the exact §5 JSON shapes, so the
adapter is tested over real HTTP (headers, status codes, Retry-After, slow answers) without the
internet. `script()` queues special outcomes; after them, default success resumes. A scripted
outcome is what the whole request ends in; which model answers is the catalogue's business
(`fake.catalogue.disable(model)` makes a model 404 and the `models` chain route past it).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import socket
import time
from collections import deque
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self

from aiohttp import web
from multidict import CIMultiDict

from tests.fakes.image_model import make_png
from tests.fakes.openrouter_catalog import Catalogue, RouteError, chain_of
from tests.fakes.openrouter_wire import FakeRequest, Outcome, prompt_of

__all__ = ["FakeRequest", "OpenRouterFake", "Outcome"]


@dataclass(slots=True)
class _File:
    data: bytes
    status: int = 200
    chunked: bool = False
    headers: dict[str, str] = field(default_factory=dict)


def _mime_of(image: bytes) -> str:
    if image.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if image[:4] == b"RIFF" and image[8:12] == b"WEBP":
        return "image/webp"
    return "image/png"


def _error_body(code: int | str | None, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "metadata": {"provider_name": "Google"}}}


class OpenRouterFake:
    """`async with OpenRouterFake(api_key="k") as fake:`, then use `fake.base_url`."""

    def __init__(self, *, api_key: str = "test-key") -> None:
        self.api_key = api_key
        self.latency = 0.0
        self.result_image = make_png(256, 256)
        self.cost: float | None = 0.0387
        self.requests: list[FakeRequest] = []
        self.file_requests: list[FakeRequest] = []
        self.model_list_requests: list[FakeRequest] = []
        self.catalogue = Catalogue()
        self.model_list_status = 200  # e.g. 503: the catalogue is down while chat still works
        self.model_list_delay = 0.0  # `latency` is the model's; the catalogue is edge-cached
        self.answered_by: list[str] = []  # the model of each answer that reached a model
        self._outcomes: deque[Outcome] = deque()
        self._routed: dict[str, deque[Outcome]] = {}
        self._files: dict[str, _File] = {}
        self._ids = itertools.count(1)
        self._closing = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._port = 0

    # --- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_post("/api/v1/chat/completions", self._chat)
        app.router.add_get("/api/v1/models", self._models)
        app.router.add_get("/files/{name}", self._file)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        self._port = sock.getsockname()[1]
        await web.SockSite(self._runner, sock).start()

    async def stop(self) -> None:
        self._closing.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
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
    def port(self) -> int:
        return self._port

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._port}/api/v1"

    # --- scripting ----------------------------------------------------------------------------

    def script(self, *outcomes: Outcome) -> None:
        self._outcomes.extend(outcomes)

    def script_for(self, marker: str, *outcomes: Outcome) -> None:
        """Like `script`, but only for requests whose prompt contains `marker` (e.g. a photo
        caption), so one user's faults do not depend on the order other users' requests arrive."""
        self._routed.setdefault(marker, deque()).extend(outcomes)

    def add_file(
        self,
        name: str,
        data: bytes,
        *,
        status: int = 200,
        chunked: bool = False,
        headers: dict[str, str] | None = None,
    ) -> str:
        """Serve `data` at GET /files/<name> (for https-result tests); returns the path."""
        self._files[name] = _File(data, status, chunked, dict(headers or {}))
        return f"/files/{name}"

    @property
    def prompts(self) -> list[str]:
        return [prompt_of(r.json) for r in self.requests]

    # --- handlers -----------------------------------------------------------------------------

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        self.requests.append(FakeRequest(CIMultiDict(request.headers), body, time.monotonic()))
        await self._pause(self.latency)
        rejection = self._reject(request, body)
        if rejection is not None:
            return rejection
        routed = self.catalogue.route(chain_of(body))
        if isinstance(routed, RouteError):
            error = {"error": {"message": routed.message, "code": routed.status}}
            return web.json_response(error | {"user_id": "user_fake"}, status=routed.status)
        self.answered_by.append(routed)
        return await self._respond(self._next_outcome(body), routed)

    async def _pause(self, seconds: float) -> None:
        """Sleep, but end early when the fake stops (a slow answer must not hold teardown)."""
        if seconds > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), seconds)

    async def _models(self, request: web.Request) -> web.Response:
        """`GET /models` (no key needed); `output_modalities` filters as OpenRouter's does."""
        self.model_list_requests.append(
            FakeRequest(CIMultiDict(request.headers), dict(request.query), time.monotonic())
        )
        await self._pause(self.model_list_delay)
        if self.model_list_status != 200:
            error = _error_body(self.model_list_status, "Service temporarily unavailable")
            return web.json_response(error, status=self.model_list_status)
        return web.json_response(self.catalogue.listing(request.query.get("output_modalities")))

    def _next_outcome(self, body: Any) -> Outcome:
        prompt = prompt_of(body)
        for marker, routed in self._routed.items():
            if routed and marker in prompt:
                return routed.popleft()
        return self._outcomes.popleft() if self._outcomes else Outcome.success()

    def _reject(self, request: web.Request, body: Any) -> web.Response | None:
        """What the real API says to an unauthenticated or malformed request."""
        auth = request.headers.get("Authorization")
        if auth is None:
            return web.json_response(_error_body(401, "No auth credentials found"), status=401)
        if auth != f"Bearer {self.api_key}":
            return web.json_response(_error_body(401, "User not found."), status=401)
        problem = _request_problem(body)
        if problem is not None:
            return web.json_response(_error_body(400, problem), status=400)
        return None

    async def _respond(self, outcome: Outcome, model: str) -> web.StreamResponse:
        match outcome.kind:
            case "hang":
                await self._pause(outcome.seconds)
                return web.json_response(self._success(model, self._data_url(None, None)))
            case "http":
                headers = {}
                if outcome.retry_after is not None:
                    headers["Retry-After"] = str(outcome.retry_after)
                error = _error_body(outcome.status, outcome.message)
                return web.json_response(error, status=outcome.status, headers=headers)
            case "malformed_json":
                text = outcome.message or '{"id": "gen-1", "choices": [{"message": {"images": [{"im'
                return web.Response(text=text, content_type="application/json")
            case "raw":
                return web.json_response(outcome.body, status=outcome.status)
        return web.json_response(self._answer(outcome, model))

    def _answer(self, outcome: Outcome, model: str) -> dict[str, Any]:
        match outcome.kind:
            case "success":
                return self._success(model, self._data_url(outcome.image, outcome.mime))
            case "image_url":
                return self._success(model, outcome.url)
            case "text_only":
                return self._envelope(model, _choice("stop", "STOP", content=outcome.message))
            case "refusal":
                images: list[Any] | None = [] if outcome.empty_list else None
                return self._envelope(
                    model, _choice("content_filter", outcome.native, images=images)
                )
            case "error_in_200":
                choice = _choice("error", "ERROR")
                choice["error"] = {"code": outcome.code, "message": outcome.message}
                return self._envelope(model, choice)
            case "top_level_error":
                envelope = self._envelope(model, _choice("error", "ERROR"))
                envelope.update(_error_body(outcome.code, outcome.message))
                return envelope
        raise AssertionError(f"unhandled outcome {outcome.kind}")

    def _data_url(self, image: bytes | None, mime: str | None) -> str:
        data = self.result_image if image is None else image
        encoded = base64.b64encode(data).decode("ascii")
        return f"data:{mime or _mime_of(data)};base64,{encoded}"

    def _success(self, model: str, url: str) -> dict[str, Any]:
        image = {"type": "image_url", "image_url": {"url": url}, "index": 0}
        return self._envelope(model, _choice("stop", "STOP", images=[image]))

    def _envelope(self, model: str, choice: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": f"gen-{next(self._ids)}",
            "provider": "Google AI Studio",
            "model": model,
            "object": "chat.completion",
            "created": int(time.time()),
            "choices": [choice],
            "usage": {
                "prompt_tokens": 12,
                "completion_tokens": 1290,
                "total_tokens": 1302,
                "cost": self.cost,
            },
        }

    async def _file(self, request: web.Request) -> web.StreamResponse:
        self.file_requests.append(FakeRequest(CIMultiDict(request.headers), None, time.monotonic()))
        file = self._files.get(request.match_info["name"])
        if file is None:
            return web.Response(status=404)
        headers = {"Content-Type": _mime_of(file.data), **file.headers}
        if not file.chunked:
            return web.Response(body=file.data, status=file.status, headers=headers)
        response = web.StreamResponse(status=file.status, headers=headers)
        response.enable_chunked_encoding()
        await response.prepare(request)
        for start in range(0, len(file.data), 64 * 1024):
            await response.write(file.data[start : start + 64 * 1024])
        await response.write_eof()
        return response


def _choice(
    finish: str, native: str, *, content: str = "", images: list[Any] | None = None
) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": content, "refusal": None}
    if images is not None:
        message["images"] = images
    return {
        "finish_reason": finish,
        "native_finish_reason": native,
        "index": 0,
        "logprobs": None,
        "message": message,
    }


def _request_problem(body: Any) -> str | None:
    """Why the real API would answer 400, or None when the request is acceptable."""
    if not isinstance(body, dict):
        return "Request body must be a JSON object"
    if not isinstance(body.get("model"), str) or not body["model"]:
        return "model is required"
    models = body.get("models")
    if models is not None and (
        not isinstance(models, list) or not all(isinstance(m, str) and m for m in models)
    ):
        return "models must be an array of model IDs"
    if body.get("stream"):
        return "this fake does not stream (and the client never should)"
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return "messages must be a non-empty array"
    urls = [
        part.get("image_url", {}).get("url")
        for message in messages
        if isinstance(message, dict) and isinstance(message.get("content"), list)
        for part in message["content"]
        if isinstance(part, dict) and part.get("type") == "image_url"
    ]
    if not urls:
        return "an image_url part is required for image editing"
    if not all(isinstance(u, str) and u.startswith("data:image/") for u in urls):
        return "image_url.url must be a base64 data URL"
    return None
