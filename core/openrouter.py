"""The OpenRouter adapter of the image model port (product.md §5).

The adapter is the only place that knows OpenRouter's wire format: it maps every answer to an
`ImageResult` or to one typed `ImageModelError`, retries only what is transient, and keeps the
API key out of every message it produces. Models come and go, so it sends a chain (`models`):
OpenRouter itself moves on to the next model when one is down or gone, and the answer names
the model that made the image.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from core.errors import (
    ImageModelBadRequest,
    ImageModelBadResponse,
    ImageModelError,
    ImageModelRefused,
    ImageModelTimeout,
    ImageModelUnavailable,
)
from core.image_fetch import (
    Resolver,
    ResultFetcher,
    decode_data_url,
    read_capped,
    sniff_image_type,
    system_resolver,
    verify_image,
)
from core.image_model import ImageRequest, ImageResult
from core.openrouter_catalog import check_models
from core.openrouter_errors import error_for_code, is_retryable, parse_retry_after

log = logging.getLogger(__name__)

_MESSAGE_LIMIT = 300


@dataclass(frozen=True, slots=True)
class _Answer:
    """The parts of a successful completion we keep."""

    image_url: str
    cost: float | None
    model: str


def build_http_client() -> httpx.AsyncClient:
    """The one shared client: pooled, explicit timeouts (callers pass their own), no redirects."""
    return httpx.AsyncClient(
        limits=httpx.Limits(max_connections=100, max_keepalive_connections=20, keepalive_expiry=30),
        timeout=httpx.Timeout(60.0, connect=10.0),
        follow_redirects=False,
    )


def _as_dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _data_url(image: bytes, number: int) -> str:
    """A base64 data URL labelled with the image's real type (a PNG avatar to edit is no JPEG)."""
    mime = sniff_image_type(image)
    if mime is None:
        raise ImageModelBadRequest(f"input image {number} is not a PNG, JPEG or WebP image")
    return f"data:{mime};base64," + base64.b64encode(image).decode("ascii")


def _cost(usage: object) -> float | None:
    cost = _as_dict(usage).get("cost")
    if isinstance(cost, bool) or not isinstance(cost, int | float):
        return None
    return float(cost)


class OpenRouterImageModel:
    """`ImageModel` over OpenRouter's chat completions endpoint with image output."""

    def __init__(
        self,
        *,
        client: httpx.AsyncClient,
        api_key: str,
        base_url: str,
        model: str,
        fallback_models: Sequence[str] = (),
        timeout: float = 180.0,
        max_attempts: int = 4,
        max_retry_wait: float = 60.0,
        backoff_base: float = 1.0,
        max_result_bytes: int = 20 * 1024 * 1024,
        referer: str | None = None,
        title: str = "AIVenger",
        resolver: Resolver = system_resolver,
    ) -> None:
        if not api_key:
            raise ValueError("api_key is empty")
        if timeout <= 0 or max_attempts < 1 or max_retry_wait < 0 or backoff_base < 0:
            raise ValueError("timeout > 0, max_attempts >= 1, waits >= 0 are required")
        self._client = client
        self._api_key = api_key
        self._base_url = base_url.rstrip("/")
        self._url = self._base_url + "/chat/completions"
        self._model = model
        # The primary first, each model once: OpenRouter tries them in this order.
        self._chain = tuple(dict.fromkeys(m for m in (model, *fallback_models) if m))
        self._timeout = timeout
        self._max_attempts = max_attempts
        self._max_retry_wait = max_retry_wait
        self._backoff_base = backoff_base
        self._max_result_bytes = max_result_bytes
        # base64 is 4/3 of the image, plus room for the JSON around it.
        self._max_answer_bytes = max_result_bytes * 4 // 3 + 1024 * 1024
        self._headers = {
            "Authorization": f"Bearer {api_key}",
            "Content-Type": "application/json",
            "X-Title": title,
        }
        if referer:
            self._headers["HTTP-Referer"] = referer
        self._fetcher = ResultFetcher(
            client, resolver=resolver, max_bytes=max_result_bytes, timeout=timeout
        )

    @property
    def models(self) -> tuple[str, ...]:
        """The chain as sent: the primary, then the fallbacks."""
        return self._chain

    async def check_models(self, *, seconds: float = 5.0) -> list[str]:
        """Warn (log and return) about configured models OpenRouter lacks or that make no
        image; never raises, and gives up after `seconds`, so start-up is never held long."""
        return await check_models(
            self._client,
            base_url=self._base_url,
            headers=self._headers,
            models=self._chain,
            seconds=seconds,
            redact=self._redact,
        )

    async def generate(self, request: ImageRequest) -> ImageResult:
        answer = await self._complete_with_retries(self._body(request))
        try:
            image = await self._load_image(answer.image_url)
            content_type = await verify_image(image)
        except ImageModelBadResponse as exc:
            log.warning(
                "image model answered (cost=%s) but its image is unusable: %s", answer.cost, exc
            )
            raise
        return ImageResult(
            image=image, content_type=content_type, cost=answer.cost, model=answer.model
        )

    def _body(self, request: ImageRequest) -> bytes:
        content: list[dict[str, Any]] = [{"type": "text", "text": request.prompt}]
        for number, image in enumerate(request.images, start=1):
            content.append({"type": "image_url", "image_url": {"url": _data_url(image, number)}})
        body: dict[str, Any] = {"model": self._model}
        if len(self._chain) > 1:
            body["models"] = list(self._chain)
        body |= {
            "modalities": ["image", "text"],
            "messages": [{"role": "user", "content": content}],
            "image_config": {"aspect_ratio": request.aspect_ratio},
        }
        return json.dumps(body, ensure_ascii=False).encode("utf-8")

    async def _complete_with_retries(self, body: bytes) -> _Answer:
        """Call until an answer, a permanent error, or the attempt/wait budget runs out."""
        loop = asyncio.get_running_loop()
        waited = 0.0
        attempt = 0
        while True:
            attempt += 1
            started = loop.time()
            try:
                answer = await self._complete(body)
            except ImageModelError as exc:
                latency = loop.time() - started
                delay = self._retry_delay(exc, attempt, self._max_retry_wait - waited)
                if delay is None:
                    log.warning(
                        "image model failed: attempt=%s status=%s latency=%.2fs code=%s: %s",
                        attempt, exc.status, latency, exc.code, exc,
                    )  # fmt: skip
                    if isinstance(exc, ImageModelUnavailable):
                        raise self._gave_up(exc, attempt) from exc
                    raise
                log.warning(
                    "image model transient failure, retrying in %.2fs: "
                    "attempt=%s/%s status=%s latency=%.2fs: %s",
                    delay, attempt, self._max_attempts, exc.status, latency, exc,
                )  # fmt: skip
                await asyncio.sleep(delay)
                waited += delay
                continue
            log.info(
                "image model answered: attempt=%s status=200 latency=%.2fs model=%s cost=%s",
                attempt, loop.time() - started, answer.model, answer.cost,
            )  # fmt: skip
            return answer

    def _retry_delay(self, exc: ImageModelError, attempt: int, budget: float) -> float | None:
        """Seconds to wait before the next attempt, or None to give up now."""
        if not is_retryable(exc) or attempt >= self._max_attempts or budget <= 0:
            return None
        jitter = random.random()  # noqa: S311 - spreading retries, not security
        retry_after = exc.retry_after if isinstance(exc, ImageModelUnavailable) else None
        if retry_after is not None:
            if retry_after > budget:
                return None  # the provider told us when; waiting less is pointless
            return min(budget, retry_after + jitter * self._backoff_base * 0.1)
        backoff = self._backoff_base * 2.0 ** (attempt - 1)
        return min(budget, backoff * (0.5 + jitter / 2))

    def _gave_up(self, exc: ImageModelUnavailable, attempts: int) -> ImageModelUnavailable:
        """The same kind of error, saying how many attempts it outlived."""
        message = f"{exc} (gave up after {attempts} attempt{'s' if attempts > 1 else ''})"
        return type(exc)(message, status=exc.status, retry_after=exc.retry_after)

    async def _complete(self, body: bytes) -> _Answer:
        """One attempt: POST, then map the answer to `_Answer` or a typed error."""
        try:
            async with asyncio.timeout(self._timeout):
                response, raw = await self._post(body)
        except (TimeoutError, httpx.TimeoutException) as exc:
            raise ImageModelTimeout(f"no answer within {self._timeout:g}s") from exc
        except httpx.TransportError as exc:
            message = f"network error: {type(exc).__name__}: {self._redact(str(exc))}"
            raise ImageModelUnavailable(message) from exc
        retry_after = parse_retry_after(response.headers.get("retry-after"))
        if response.status_code != 200:
            try:
                response.raise_for_status()
            except httpx.HTTPStatusError as exc:
                raise self._http_error(response.status_code, raw, retry_after) from exc
        return self._parse_success(raw, retry_after)

    async def _post(self, body: bytes) -> tuple[httpx.Response, bytes]:
        async with self._client.stream(
            "POST",
            self._url,
            content=body,
            headers=self._headers,
            timeout=httpx.Timeout(self._timeout),
            follow_redirects=False,
        ) as response:
            return response, await read_capped(response, self._max_answer_bytes)

    def _http_error(self, status: int, raw: bytes, retry_after: float | None) -> ImageModelError:
        try:
            error = _as_dict(_as_dict(json.loads(raw)).get("error"))
        except ValueError:
            error = {}
        detail = error.get("message") or raw[:_MESSAGE_LIMIT].decode("utf-8", "replace")
        return error_for_code(
            status, self._text(f"OpenRouter HTTP {status}: {detail}"), retry_after
        )

    def _embedded_error(self, error: object, retry_after: float | None) -> ImageModelError:
        """An error object inside a 200; a code that is not an HTTP status counts as 502."""
        fields = _as_dict(error)
        code = fields.get("code")
        status = code if isinstance(code, int) and not isinstance(code, bool) else 502
        message = f"OpenRouter error in a 200 answer (code {code!r}): {fields.get('message')}"
        return error_for_code(status, self._text(message), retry_after)

    def _parse_success(self, raw: bytes, retry_after: float | None) -> _Answer:
        try:
            data = json.loads(raw)
        except ValueError as exc:
            raise ImageModelBadResponse("OpenRouter answered malformed JSON", status=200) from exc
        if not isinstance(data, dict):
            raise ImageModelBadResponse(
                "OpenRouter answered JSON that is not an object", status=200
            )
        if data.get("error") is not None:
            raise self._embedded_error(data["error"], retry_after)
        choices = data.get("choices")
        if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
            raise ImageModelBadResponse("OpenRouter answer has no choices", status=200)
        choice: dict[str, Any] = choices[0]
        if choice.get("finish_reason") == "error":
            raise self._embedded_error(choice.get("error"), retry_after)
        message = _as_dict(choice.get("message"))
        images = message.get("images")
        if not images:
            raise ImageModelRefused(self._refusal_text(choice, message), status=200)
        url = _as_dict(_as_dict(images[0] if isinstance(images, list) else None).get("image_url"))
        if not isinstance(url.get("url"), str):
            raise ImageModelBadResponse("OpenRouter image has no URL", status=200)
        model = data.get("model")
        return _Answer(
            image_url=url["url"],
            cost=_cost(data.get("usage")),
            model=model if isinstance(model, str) and model else self._model,
        )

    def _refusal_text(self, choice: dict[str, Any], message: dict[str, Any]) -> str:
        parts = [
            "the model answered without an image",
            f"finish_reason={choice.get('finish_reason')}",
            f"native_finish_reason={choice.get('native_finish_reason')}",
        ]
        for key in ("refusal", "content"):
            if message.get(key):
                parts.append(f"{key}={message[key]!r}")
        return self._text(", ".join(parts))

    async def _load_image(self, url: str) -> bytes:
        if url.startswith("data:"):
            return decode_data_url(url, max_bytes=self._max_result_bytes)
        if url.startswith("https://"):
            return await self._fetcher.fetch(url)
        scheme = url.split(":", 1)[0][:20] if ":" in url else "relative"
        raise ImageModelBadResponse(f"refusing a {scheme!r} image URL; only data: and https:")

    def _text(self, message: str) -> str:
        """Provider text made safe for messages and logs: short, and without our key."""
        message = self._redact(message)
        return message if len(message) <= _MESSAGE_LIMIT else message[:_MESSAGE_LIMIT] + "…"

    def _redact(self, text: str) -> str:
        return text.replace(self._api_key, "[redacted]")
