"""The OpenRouter adapter of the image model port (product.md §5).

The adapter (with `openrouter_wire`, the JSON it sends and reads) is the only place that knows
OpenRouter: it maps every answer to an `ImageResult` or to one typed `ImageModelError`, retries
only what is transient, and keeps the API key out of every message it produces. Models come
and go, so it sends a chain (`models`): OpenRouter itself moves on to the next model when one
is down or gone, and the answer names the model that made the image.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

import httpx

from core.errors import (
    ImageModelBadResponse,
    ImageModelError,
    ImageModelTimeout,
    ImageModelUnavailable,
)
from core.image_fetch import (
    Resolver,
    ResultFetcher,
    decode_data_url,
    read_capped,
    system_resolver,
    verify_image,
)
from core.image_model import ImageRequest, ImageResult
from core.openrouter_catalog import check_models
from core.openrouter_errors import parse_retry_after
from core.openrouter_retry import gave_up, retry_delay
from core.openrouter_wire import Answer, http_error, parse_answer, request_body

log = logging.getLogger(__name__)

_MESSAGE_LIMIT = 300


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
        call = self._complete_with_retries(request_body(request, self._chain))
        del request  # the body carries the photos now: no second copy of them while we wait
        answer = await call
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

    async def _complete_with_retries(self, body: bytes) -> Answer:
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
                delay = retry_delay(
                    exc,
                    attempt,
                    self._max_retry_wait - waited,
                    max_attempts=self._max_attempts,
                    backoff_base=self._backoff_base,
                )
                if delay is None:
                    log.warning(
                        "image model failed: attempt=%s status=%s latency=%.2fs code=%s: %s",
                        attempt, exc.status, latency, exc.code, exc,
                    )  # fmt: skip
                    if isinstance(exc, ImageModelUnavailable):
                        raise gave_up(exc, attempt) from exc
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

    async def _complete(self, body: bytes) -> Answer:
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
                raise http_error(response.status_code, raw, retry_after, self._text) from exc
        return parse_answer(raw, retry_after, primary=self._model, safe=self._text)

    async def _post(self, body: bytes) -> tuple[httpx.Response, bytearray]:
        async with self._client.stream(
            "POST",
            self._url,
            content=body,
            headers=self._headers,
            timeout=httpx.Timeout(self._timeout),
            follow_redirects=False,
        ) as response:
            return response, await read_capped(response, self._max_answer_bytes)

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
