"""The OpenRouter adapter against the local HTTP fake, over real HTTP on 127.0.0.1.

Covers the §5 wire format, every failure mapping, the retry rules (Retry-After, budgets,
bounded attempts), result-URL SSRF refusals, size caps, and that the API key never leaks.
Nothing here touches DNS or any address but 127.0.0.1: the resolver is injected, and the
https-result client routes one pretend public IP to the fake and refuses everything else.
"""

from __future__ import annotations

import asyncio
import base64
import io
import logging
import socket
import time
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from ipaddress import ip_address
from typing import Any

import httpx
import pytest
from PIL import Image

from core.errors import (
    ImageModelAuthError,
    ImageModelBadRequest,
    ImageModelBadResponse,
    ImageModelError,
    ImageModelGone,
    ImageModelModeration,
    ImageModelOutOfCredits,
    ImageModelRefused,
    ImageModelTimeout,
    ImageModelUnavailable,
)
from core.generation_memory import MemoryBoundedModel, MemoryBudget
from core.http_client import build_http_client
from core.image_fetch import is_public_address
from core.image_model import ImageModel, ImageRequest, ImageResult, nearest_aspect_ratio
from core.openrouter import OpenRouterImageModel
from core.openrouter_errors import parse_retry_after
from tests.fakes.image_model import FakeImageModel, make_png
from tests.fakes.openrouter import OpenRouterFake, Outcome

API_KEY = "sk-or-v1-test-0123456789abcdef-secret"
MODEL = "google/gemini-2.5-flash-image"
FALLBACK = "google/gemini-3.1-flash-image"
PUBLIC_IP = "93.184.215.14"  # pretend CDN; the routing transport sends it to the fake


def _jpeg(width: int = 40, height: int = 30) -> bytes:
    out = io.BytesIO()
    Image.open(io.BytesIO(make_png(width, height))).save(out, format="JPEG")
    return out.getvalue()


SELFIE = _jpeg(32, 48)  # a normalised JPEG, as intake makes them


def _request(aspect_ratio: str = "3:4") -> ImageRequest:
    return ImageRequest(
        prompt="Turn this person into a superhero", image_jpeg=SELFIE, aspect_ratio=aspect_ratio
    )


async def _no_dns(host: str, port: int) -> Sequence[str]:
    raise AssertionError(f"unexpected DNS lookup of {host}")


class RoutingTransport(httpx.AsyncBaseTransport):
    """The network as tests see it: the fake, plus PUBLIC_IP rerouted to it; nothing else."""

    def __init__(self, fake_port: int) -> None:
        self._inner = httpx.AsyncHTTPTransport()
        self._fake_port = fake_port
        self.rerouted: list[httpx.Request] = []
        self.refused: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.host == PUBLIC_IP:
            self.rerouted.append(request)
            request.url = request.url.copy_with(
                scheme="http", host="127.0.0.1", port=self._fake_port
            )
        elif request.url.host != "127.0.0.1":
            self.refused.append(request)
            raise httpx.ConnectError("blocked by the test network guard", request=request)
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()


@pytest.fixture
async def fake() -> AsyncIterator[OpenRouterFake]:
    async with OpenRouterFake(api_key=API_KEY) as server:
        yield server


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with build_http_client() as shared:
        yield shared


@pytest.fixture
def transport(fake: OpenRouterFake) -> RoutingTransport:
    return RoutingTransport(fake.port)


@pytest.fixture
async def routed_client(transport: RoutingTransport) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=transport, follow_redirects=False) as routed:
        yield routed


def adapter(
    fake: OpenRouterFake, client: httpx.AsyncClient, **options: Any
) -> OpenRouterImageModel:
    settings: dict[str, Any] = {
        "client": client,
        "api_key": API_KEY,
        "base_url": fake.base_url,
        "model": MODEL,
        "timeout": 5.0,
        "backoff_base": 0.01,
        "max_retry_wait": 5.0,
        "resolver": _no_dns,
    }
    return OpenRouterImageModel(**(settings | options))


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


# --- success and the wire format -----------------------------------------------------------


async def test_success_returns_the_image_and_cost(
    fake: OpenRouterFake, client: httpx.AsyncClient
) -> None:
    model = adapter(fake, client, referer="https://t.me/aivenger_bot")

    result = await model.generate(_request("9:16"))

    assert result.image == fake.result_image
    assert result.content_type == "image/png"
    assert result.cost == pytest.approx(0.0387)
    assert result.model == MODEL
    [sent] = fake.requests
    assert sent.json == {
        "model": MODEL,
        "modalities": ["image", "text"],
        "messages": [
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "Turn this person into a superhero"},
                    {
                        "type": "image_url",
                        "image_url": {
                            "url": "data:image/jpeg;base64," + base64.b64encode(SELFIE).decode()
                        },
                    },
                ],
            }
        ],
        "image_config": {"aspect_ratio": "9:16"},
    }
    assert sent.headers["Authorization"] == f"Bearer {API_KEY}"
    assert sent.headers["Content-Type"] == "application/json"
    assert sent.headers["X-Title"] == "AIVenger"
    assert sent.headers["HTTP-Referer"] == "https://t.me/aivenger_bot"
    assert fake.prompts == ["Turn this person into a superhero"]


async def test_the_photos_are_let_go_once_the_request_body_carries_them(
    fake: OpenRouterFake, client: httpx.AsyncClient
) -> None:
    gone: list[str] = []

    class Photo(bytes):
        def __del__(self) -> None:
            gone.append("photo")

    fake.latency = 0.5
    budgeted = MemoryBoundedModel(adapter(fake, client), MemoryBudget(64 * 1024 * 1024))
    request = ImageRequest(prompt="hero", image_jpeg=Photo(SELFIE), aspect_ratio="3:4")
    call = asyncio.create_task(budgeted.generate(request))
    del request  # handed over, as the job runner does
    while not fake.requests:
        await asyncio.sleep(0.01)

    assert gone == ["photo"]  # freed while the model is still working
    assert (await call).image == fake.result_image


async def test_referer_is_optional_and_cost_may_be_missing(
    fake: OpenRouterFake, client: httpx.AsyncClient
) -> None:
    fake.cost = None

    result = await adapter(fake, client).generate(_request())

    assert "HTTP-Referer" not in fake.requests[0].headers
    assert result.cost is None


@pytest.mark.parametrize(
    ("image", "label", "expected"),
    [
        (_jpeg(), "image/png", "image/jpeg"),
        (make_png(20, 20), "image/jpeg", "image/png"),
    ],
)
async def test_content_type_is_sniffed_not_taken_from_the_data_url(
    fake: OpenRouterFake, client: httpx.AsyncClient, image: bytes, label: str, expected: str
) -> None:
    fake.script(Outcome.success(image, mime=label))

    result = await adapter(fake, client).generate(_request())

    assert (result.image, result.content_type) == (image, expected)


async def test_webp_results_are_accepted(fake: OpenRouterFake, client: httpx.AsyncClient) -> None:
    out = io.BytesIO()
    Image.open(io.BytesIO(make_png(16, 16))).save(out, format="WEBP")
    fake.script(Outcome.success(out.getvalue()))

    result = await adapter(fake, client).generate(_request())

    assert result.content_type == "image/webp"


# --- answers without an image -----------------------------------------------------------------


async def test_text_only_answer_is_a_refusal_with_the_text(
    fake: OpenRouterFake, client: httpx.AsyncClient
) -> None:
    fake.script(Outcome.text_only("I can't edit photos of real people."))

    with pytest.raises(ImageModelRefused, match="I can't edit photos of real people"):
        await adapter(fake, client).generate(_request())
    assert len(fake.requests) == 1


@pytest.mark.parametrize("native", ["IMAGE_SAFETY", "IMAGE_PROHIBITED_CONTENT"])
@pytest.mark.parametrize("empty_list", [False, True])
async def test_safety_refusal_is_not_retried(
    fake: OpenRouterFake, client: httpx.AsyncClient, native: str, empty_list: bool
) -> None:
    fake.script(Outcome.refusal(native, empty_list=empty_list))

    with pytest.raises(ImageModelRefused, match=native) as caught:
        await adapter(fake, client).generate(_request())
    assert "content_filter" in str(caught.value)
    assert len(fake.requests) == 1


# --- errors inside a 200 and HTTP errors ------------------------------------------------------


@pytest.mark.parametrize("form", [Outcome.error_in_200, Outcome.top_level_error])
@pytest.mark.parametrize(
    ("code", "error"),
    [
        (400, ImageModelBadRequest),
        (401, ImageModelAuthError),
        (402, ImageModelOutOfCredits),
        (403, ImageModelModeration),
        (500, ImageModelUnavailable),
    ],
)
async def test_error_inside_a_200_maps_by_code(
    fake: OpenRouterFake,
    client: httpx.AsyncClient,
    form: Any,
    code: int,
    error: type[ImageModelError],
) -> None:
    fake.script(form(code, "something went wrong upstream"))

    with pytest.raises(error, match="something went wrong upstream") as caught:
        await adapter(fake, client, max_attempts=1).generate(_request())
    assert type(caught.value) is error
    assert caught.value.status == code
    assert len(fake.requests) == 1


@pytest.mark.parametrize("form", [Outcome.error_in_200, Outcome.top_level_error])
async def test_transient_error_inside_a_200_is_retried(
    fake: OpenRouterFake, client: httpx.AsyncClient, form: Any
) -> None:
    fake.script(form(502, "Provider returned error"), form("server_error", "Upstream hiccup"))

    result = await adapter(fake, client).generate(_request())

    assert result.image == fake.result_image
    assert len(fake.requests) == 3


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (400, ImageModelBadRequest),
        (401, ImageModelAuthError),
        (402, ImageModelOutOfCredits),
        (403, ImageModelModeration),
        (404, ImageModelGone),
        (501, ImageModelError),
    ],
)
async def test_http_errors_map_to_typed_errors_without_retry(
    fake: OpenRouterFake, client: httpx.AsyncClient, status: int, error: type[ImageModelError]
) -> None:
    fake.script(Outcome.http(status, "Explained by the provider"))

    with pytest.raises(error, match="Explained by the provider") as caught:
        await adapter(fake, client).generate(_request())
    assert type(caught.value) is error
    assert caught.value.status == status
    assert any(isinstance(e, httpx.HTTPStatusError) for e in _chain(caught.value))
    assert len(fake.requests) == 1


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504])
async def test_a_transient_status_is_typed_transient_and_retried(
    fake: OpenRouterFake, client: httpx.AsyncClient, status: int
) -> None:
    """One definition of transient: what the error says is exactly what the client retries."""
    fake.script(Outcome.http(status, "try again"))
    with pytest.raises(ImageModelUnavailable) as caught:
        await adapter(fake, client, max_attempts=1).generate(_request())
    assert caught.value.transient is True and caught.value.status == status

    fake.script(Outcome.http(status, "try again"), Outcome.http(status, "and again"))
    result = await adapter(fake, client).generate(_request())
    assert result.image == fake.result_image
    assert len(fake.requests) == 1 + 3


async def test_wrong_key_is_an_auth_error(fake: OpenRouterFake, client: httpx.AsyncClient) -> None:
    with pytest.raises(ImageModelAuthError, match="User not found") as caught:
        await adapter(fake, client, api_key="sk-or-v1-wrong").generate(_request())
    assert caught.value.status == 401
    assert caught.value.transient is False


# --- retries ---------------------------------------------------------------------------------


async def test_429_retry_after_is_honoured_then_success(
    fake: OpenRouterFake, client: httpx.AsyncClient
) -> None:
    fake.script(Outcome.http(429, "Rate limit exceeded", retry_after=1))

    result = await adapter(fake, client).generate(_request())

    assert result.image == fake.result_image
    first, second = fake.requests
    assert second.at - first.at >= 1.0


async def test_retry_after_as_a_past_http_date_retries_at_once(
    fake: OpenRouterFake, client: httpx.AsyncClient
) -> None:
    past = format_datetime(datetime.now(UTC) - timedelta(minutes=1), usegmt=True)
    fake.script(Outcome.http(503, "No provider", retry_after=past))

    started = time.monotonic()
    await adapter(fake, client).generate(_request())

    assert len(fake.requests) == 2
    assert time.monotonic() - started < 1.0


def test_parse_retry_after() -> None:
    in_30s = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after("0.5") == 0.5
    assert parse_retry_after("-3") == 0.0
    assert 28 <= (parse_retry_after(in_30s) or 0) <= 30
    assert parse_retry_after("soon") is None
    assert parse_retry_after("inf") is None
    assert parse_retry_after(None) is None


async def test_429_beyond_the_retry_budget_gives_up_at_once(
    fake: OpenRouterFake, client: httpx.AsyncClient
) -> None:
    fake.script(Outcome.http(429, "Rate limit exceeded", retry_after=30))

    started = time.monotonic()
    with pytest.raises(ImageModelUnavailable) as caught:
        await adapter(fake, client, max_retry_wait=5.0).generate(_request())

    assert time.monotonic() - started < 1.0
    assert len(fake.requests) == 1
    assert (caught.value.status, caught.value.retry_after) == (429, 30.0)
    assert caught.value.transient is True


async def test_502_and_503_bursts_then_success(
    fake: OpenRouterFake, client: httpx.AsyncClient
) -> None:
    fake.script(Outcome.http(502, "Provider error"), Outcome.http(503, "No provider"))
    fake.script(Outcome.http(502, "Provider error"))

    result = await adapter(fake, client, max_attempts=4).generate(_request())

    assert result.image == fake.result_image
    assert len(fake.requests) == 4


async def test_retries_are_bounded_by_attempts(
    fake: OpenRouterFake, client: httpx.AsyncClient
) -> None:
    fake.script(*[Outcome.http(503, "No provider")] * 5)

    with pytest.raises(ImageModelUnavailable, match="gave up after 3 attempts") as caught:
        await adapter(fake, client, max_attempts=3).generate(_request())

    assert len(fake.requests) == 3
    assert caught.value.status == 503
    assert isinstance(caught.value.__cause__, ImageModelUnavailable)


async def test_backoff_is_bounded_by_the_retry_budget(
    fake: OpenRouterFake, client: httpx.AsyncClient
) -> None:
    fake.script(*[Outcome.http(502, "Provider error")] * 5)
    model = adapter(fake, client, max_attempts=5, backoff_base=10.0, max_retry_wait=0.3)

    started = time.monotonic()
    with pytest.raises(ImageModelUnavailable):
        await model.generate(_request())

    assert time.monotonic() - started < 1.5
    assert len(fake.requests) == 2  # the first backoff used the whole budget


async def test_408_is_a_timeout_after_retries(
    fake: OpenRouterFake, client: httpx.AsyncClient
) -> None:
    fake.script(*[Outcome.http(408, "Request timed out")] * 2)

    with pytest.raises(ImageModelTimeout) as caught:
        await adapter(fake, client, max_attempts=2).generate(_request())
    assert caught.value.status == 408
    assert len(fake.requests) == 2


async def test_a_hang_past_the_timeout_is_a_timeout_with_bounded_attempts(
    fake: OpenRouterFake, client: httpx.AsyncClient
) -> None:
    fake.script(Outcome.hang(30), Outcome.hang(30))
    model = adapter(fake, client, timeout=0.5, max_attempts=2)

    started = time.monotonic()
    with pytest.raises(ImageModelTimeout, match="gave up after 2 attempts") as caught:
        await model.generate(_request())

    assert time.monotonic() - started < 2.5
    assert len(fake.requests) == 2
    assert caught.value.status is None
    assert any(isinstance(e, TimeoutError | httpx.TimeoutException) for e in _chain(caught.value))


async def test_network_errors_are_retried_then_unavailable(client: httpx.AsyncClient) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    model = OpenRouterImageModel(
        client=client,
        api_key=API_KEY,
        base_url=f"http://127.0.0.1:{closed_port}/api/v1",
        model=MODEL,
        max_attempts=3,
        backoff_base=0.01,
    )

    with pytest.raises(ImageModelUnavailable, match="gave up after 3 attempts") as caught:
        await model.generate(_request())
    assert type(caught.value) is ImageModelUnavailable
    assert any(isinstance(e, httpx.ConnectError) for e in _chain(caught.value))


# --- broken answers ---------------------------------------------------------------------------


async def test_malformed_json_is_a_bad_response(
    fake: OpenRouterFake, client: httpx.AsyncClient
) -> None:
    fake.script(Outcome.malformed_json())

    with pytest.raises(ImageModelBadResponse, match="malformed JSON") as caught:
        await adapter(fake, client).generate(_request())
    assert isinstance(caught.value.__cause__, ValueError)
    assert len(fake.requests) == 1


async def test_an_answer_nested_too_deep_is_a_bad_response_not_a_crash(
    fake: OpenRouterFake, client: httpx.AsyncClient
) -> None:
    """A hostile or broken provider's 100 000 nested arrays: refused as malformed, the same
    typed failure as any other broken answer (Python's own parser would overflow its stack)."""
    depth = 100_000
    fake.script(Outcome.malformed_json('{"choices": ' + "[" * depth + "]" * depth + "}"))

    with pytest.raises(ImageModelBadResponse, match="malformed JSON") as caught:
        await adapter(fake, client).generate(_request())
    assert isinstance(caught.value.__cause__, ValueError)
    assert len(fake.requests) == 1


@pytest.mark.parametrize(
    "body",
    [
        [],
        {"choices": "nope"},
        {"choices": []},
        {"choices": [{"message": {"images": [{"image_url": {}}]}}]},
        {"choices": [{"message": {"images": ["data:image/png;base64,AAAA"]}}]},
    ],
)
async def test_unexpected_shapes_are_bad_responses(
    fake: OpenRouterFake, client: httpx.AsyncClient, body: Any
) -> None:
    fake.script(Outcome.raw(body))

    with pytest.raises(ImageModelBadResponse):
        await adapter(fake, client).generate(_request())


async def test_undecodable_base64_is_a_bad_response(
    fake: OpenRouterFake, client: httpx.AsyncClient
) -> None:
    fake.script(Outcome.bad_base64())

    with pytest.raises(ImageModelBadResponse, match="base64") as caught:
        await adapter(fake, client).generate(_request())
    assert isinstance(caught.value.__cause__, ValueError)


@pytest.mark.parametrize(
    "image",
    [
        b"<html>not an image</html>",
        make_png(128, 128)[:-100],
        _jpeg(200, 200)[:-300],
        b"\xff\xd8\xff" + b"\x00" * 50,
        b"GIF89a" + make_png()[6:],
    ],
    ids=["text", "truncated-png", "truncated-jpeg", "jpeg-magic-only", "gif"],
)
async def test_bytes_that_are_not_a_valid_image_are_a_bad_response(
    fake: OpenRouterFake, client: httpx.AsyncClient, image: bytes
) -> None:
    fake.script(Outcome.success(image, mime="image/png"))

    with pytest.raises(ImageModelBadResponse):
        await adapter(fake, client).generate(_request())


async def test_oversize_data_url_is_refused(
    fake: OpenRouterFake, client: httpx.AsyncClient
) -> None:
    assert len(fake.result_image) > 2000

    with pytest.raises(ImageModelBadResponse, match="larger than 2000 bytes"):
        await adapter(fake, client, max_result_bytes=2000).generate(_request())


# --- https result URLs -----------------------------------------------------------------------


def _resolver(*addresses: str, calls: list[str] | None = None) -> Any:
    async def resolve(host: str, port: int) -> Sequence[str]:
        if calls is not None:
            calls.append(host)
        return list(addresses)

    return resolve


async def test_https_result_is_fetched_pinned_to_the_checked_address(
    fake: OpenRouterFake, routed_client: httpx.AsyncClient, transport: RoutingTransport
) -> None:
    image = make_png(300, 200)
    path = fake.add_file("avatar.png", image)
    fake.script(Outcome.https_url(f"https://cdn.example.test{path}?sig=abc"))
    model = adapter(fake, routed_client, resolver=_resolver(PUBLIC_IP))

    result = await model.generate(_request())

    assert (result.image, result.content_type) == (image, "image/png")
    [fetch] = transport.rerouted
    assert fetch.headers["Host"] == "cdn.example.test"
    assert fetch.extensions["sni_hostname"] == "cdn.example.test"
    [served] = fake.file_requests
    assert "Authorization" not in served.headers
    assert served.headers["Accept-Encoding"] == "identity"


@pytest.mark.parametrize(
    "addresses",
    [
        ["127.0.0.1"],
        ["10.0.0.7"],
        ["192.168.1.20"],
        ["172.16.5.4"],
        ["169.254.169.254"],
        ["100.64.0.1"],
        ["0.0.0.0"],
        ["224.0.0.1"],
        ["240.0.0.1"],
        ["::1"],
        ["fe80::1"],
        ["fc00::1"],
        ["::ffff:127.0.0.1"],
        ["::"],
        ["ff02::1"],
        [PUBLIC_IP, "10.0.0.7"],  # one private address is enough to refuse
        [],
    ],
)
async def test_https_result_on_a_non_public_address_is_refused_without_connecting(
    fake: OpenRouterFake,
    routed_client: httpx.AsyncClient,
    transport: RoutingTransport,
    addresses: list[str],
) -> None:
    path = fake.add_file("avatar.png", make_png())
    fake.script(Outcome.https_url(f"https://cdn.example.test:{fake.port}{path}"))
    calls: list[str] = []
    model = adapter(fake, routed_client, resolver=_resolver(*addresses, calls=calls))

    with pytest.raises(ImageModelBadResponse, match=r"cdn\.example\.test"):
        await model.generate(_request())

    assert calls == ["cdn.example.test"]
    assert transport.rerouted == transport.refused == []
    assert fake.file_requests == []


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/avatar.png",
        "https://169.254.169.254/latest/meta-data/",
        "https://[::1]/avatar.png",
        "https://10.1.2.3:8443/avatar.png",
        f"http://{PUBLIC_IP}/avatar.png",
        "http://cdn.example.test/avatar.png",
        "ftp://cdn.example.test/avatar.png",
        "file:///etc/passwd",
        "//cdn.example.test/avatar.png",
    ],
)
async def test_literal_private_and_non_https_result_urls_are_refused(
    fake: OpenRouterFake, routed_client: httpx.AsyncClient, transport: RoutingTransport, url: str
) -> None:
    fake.script(Outcome.https_url(url))

    with pytest.raises(ImageModelBadResponse, match="refusing"):
        await adapter(fake, routed_client).generate(_request())

    assert transport.rerouted == transport.refused == []


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
async def test_oversize_https_result_is_refused(
    fake: OpenRouterFake,
    routed_client: httpx.AsyncClient,
    transport: RoutingTransport,
    chunked: bool,
) -> None:
    path = fake.add_file("huge.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 300_000, chunked=chunked)
    fake.script(Outcome.https_url(f"https://cdn.example.test{path}"))
    model = adapter(fake, routed_client, resolver=_resolver(PUBLIC_IP), max_result_bytes=100_000)

    with pytest.raises(ImageModelBadResponse, match="100000 byte cap"):
        await model.generate(_request())
    assert len(transport.rerouted) == 1


async def test_redirect_from_the_result_host_is_not_followed(
    fake: OpenRouterFake, routed_client: httpx.AsyncClient, transport: RoutingTransport
) -> None:
    headers = {"Location": "https://169.254.169.254/latest/meta-data/"}
    path = fake.add_file("moved.png", b"", status=302, headers=headers)
    fake.script(Outcome.https_url(f"https://cdn.example.test{path}"))

    with pytest.raises(ImageModelBadResponse, match="answered 302"):
        await adapter(fake, routed_client, resolver=_resolver(PUBLIC_IP)).generate(_request())
    assert len(transport.rerouted) == 1
    assert transport.refused == []


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("8.8.8.8", True),
        ("2606:4700:4700::1111", True),
        ("127.0.0.1", False),
        ("10.0.0.1", False),
        ("100.64.0.1", False),
        ("169.254.1.1", False),
        ("224.0.0.1", False),
        ("255.255.255.255", False),
        ("::ffff:10.0.0.1", False),
        ("::ffff:8.8.8.8", False),  # v4-mapped: no CDN needs it; refused outright
        ("2002:0a00:0001::1", False),  # 6to4 wrapping 10.0.0.1
        ("64:ff9b::7f00:1", False),  # NAT64 wrapping 127.0.0.1
        ("fe80::1", False),
        ("fd12:3456::1", False),
        ("2001:db8::1", False),
    ],
)
def test_is_public_address(address: str, public: bool) -> None:
    assert is_public_address(ip_address(address)) is public


# --- the API key never leaks ------------------------------------------------------------------


@pytest.mark.parametrize(
    "outcome",
    [
        Outcome.http(500, f"upstream rejected key {API_KEY}"),
        Outcome.http(429, f"slow down, {API_KEY}", retry_after=60),
        Outcome.top_level_error(400, f"bad request for {API_KEY}"),
        Outcome.error_in_200(403, f"flagged; key={API_KEY}"),
        Outcome.text_only(f"Your key is {API_KEY}"),
    ],
)
async def test_the_api_key_never_appears_in_errors_or_logs(
    fake: OpenRouterFake,
    client: httpx.AsyncClient,
    caplog: pytest.LogCaptureFixture,
    outcome: Outcome,
) -> None:
    caplog.set_level(logging.DEBUG)
    fake.script(outcome)

    with pytest.raises(ImageModelError) as caught:
        await adapter(fake, client, max_attempts=1).generate(_request())

    for error in _chain(caught.value):
        assert API_KEY not in str(error)
        assert API_KEY not in repr(error)
    assert "[redacted]" in str(caught.value)
    assert caplog.records
    for record in caplog.records:
        assert API_KEY not in record.getMessage()
        assert API_KEY not in (record.exc_text or "")


# --- the fakes themselves ---------------------------------------------------------------------


async def test_the_fake_rejects_what_openrouter_would(
    fake: OpenRouterFake, client: httpx.AsyncClient
) -> None:
    url = fake.base_url + "/chat/completions"
    auth = {"Authorization": f"Bearer {API_KEY}"}
    image_part = {"type": "image_url", "image_url": {"url": "https://example.com/selfie.jpg"}}
    body = {"model": MODEL, "messages": [{"role": "user", "content": [image_part]}]}

    unauthenticated = await client.post(url, json=body)
    url_image = await client.post(url, json=body, headers=auth)
    no_model = await client.post(url, json={"messages": []}, headers=auth)

    assert unauthenticated.status_code == 401
    assert unauthenticated.json()["error"]["code"] == 401
    assert url_image.status_code == 400
    assert "data URL" in url_image.json()["error"]["message"]
    assert no_model.status_code == 400


async def test_both_implementations_honour_the_port(
    fake: OpenRouterFake, client: httpx.AsyncClient
) -> None:
    models: list[ImageModel] = [adapter(fake, client), FakeImageModel()]
    for model in models:
        result = await model.generate(_request())
        assert isinstance(result, ImageResult)
        assert result.content_type == "image/png"
        Image.open(io.BytesIO(result.image)).verify()


async def test_fake_image_model_scripts_and_holds_generations() -> None:
    model = FakeImageModel()
    scripted = ImageResult(image=_jpeg(), content_type="image/jpeg", cost=None, model="m")
    model.script(ImageModelRefused("no"), scripted)
    model.block()

    tasks = [asyncio.create_task(model.generate(_request())) for _ in range(3)]
    await model.wait_in_flight(3)
    assert model.completed == 0
    model.release()
    outcomes = await asyncio.gather(*tasks, return_exceptions=True)

    assert isinstance(outcomes[0], ImageModelRefused)
    assert outcomes[1] is scripted
    assert outcomes[2] == model.default_result
    assert len(model.requests) == 3
    assert model.in_flight == 0


def test_aspect_ratios() -> None:
    assert nearest_aspect_ratio(3000, 4000) == "3:4"
    assert nearest_aspect_ratio(1080, 1920) == "9:16"
    assert nearest_aspect_ratio(5000, 2000) == "21:9"
    assert nearest_aspect_ratio(100, 100) == "1:1"
    with pytest.raises(ValueError, match="aspect ratio"):
        ImageRequest(prompt="p", image_jpeg=b"", aspect_ratio="7:3")


# --- the model chain (product.md §5 "Models come and go") -------------------------------------


async def test_the_chain_is_sent_as_models_with_the_primary_first_and_kept_as_model(
    fake: OpenRouterFake, client: httpx.AsyncClient
) -> None:
    model = adapter(fake, client, fallback_models=[FALLBACK, MODEL, ""])

    result = await model.generate(_request())

    [sent] = fake.requests
    assert sent.json["model"] == MODEL
    assert sent.json["models"] == [MODEL, FALLBACK]  # each model once, the primary first
    assert model.models == (MODEL, FALLBACK)
    assert result.model == MODEL


async def test_a_gone_primary_is_answered_by_the_fallback_which_the_result_names(
    fake: OpenRouterFake, client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="core.openrouter")
    fake.catalogue.disable(MODEL)

    result = await adapter(fake, client, fallback_models=[FALLBACK]).generate(_request())

    assert result.model == FALLBACK
    assert result.image == fake.result_image
    assert fake.answered_by == [FALLBACK]
    assert len(fake.requests) == 1  # OpenRouter moved on by itself; we never retried
    assert any(f"model={FALLBACK}" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize(
    ("break_it", "status", "says"),
    [
        pytest.param("disable", 404, f"No endpoints found for {MODEL}", id="shut-down"),
        pytest.param("remove", 400, f"{MODEL} is not a valid model ID", id="unknown-id"),
    ],
)
async def test_a_gone_model_without_a_chain_is_an_operator_error_never_retried(
    fake: OpenRouterFake, client: httpx.AsyncClient, break_it: str, status: int, says: str
) -> None:
    getattr(fake.catalogue, break_it)(MODEL)

    with pytest.raises(ImageModelGone, match=says) as caught:
        await adapter(fake, client).generate(_request())

    assert caught.value.status == status
    assert caught.value.code == "model_gone"
    assert caught.value.transient is False
    assert len(fake.requests) == 1
    assert "models" not in fake.requests[0].json


async def test_when_every_model_of_the_chain_is_gone_the_last_ones_error_is_raised(
    fake: OpenRouterFake, client: httpx.AsyncClient
) -> None:
    fake.catalogue.disable(MODEL, FALLBACK)

    with pytest.raises(ImageModelGone, match=f"No endpoints found for {FALLBACK}"):
        await adapter(fake, client, fallback_models=[FALLBACK]).generate(_request())
    assert len(fake.requests) == 1


# --- several input images, and edits --------------------------------------------------------


async def test_three_images_are_sent_in_order_after_the_text_part(
    fake: OpenRouterFake, client: httpx.AsyncClient
) -> None:
    selfies = (_jpeg(40, 30), _jpeg(30, 40), _jpeg(50, 50))
    request = ImageRequest(prompt="One hero from these", images=selfies, aspect_ratio="1:1")

    result = await adapter(fake, client).generate(request)

    [sent] = fake.requests
    assert sent.parts == ["text", "image_url", "image_url", "image_url"]
    assert sent.images == list(selfies)
    assert sent.image_types == ["image/jpeg"] * 3
    assert fake.prompts == ["One hero from these"]
    assert result.image == fake.result_image


async def test_an_edit_sends_the_png_avatar_labelled_as_png(
    fake: OpenRouterFake, client: httpx.AsyncClient
) -> None:
    avatar = make_png(64, 80, seed=3)
    edit = ImageRequest(prompt="Make the cape red", images=(avatar,), aspect_ratio="4:5")

    await adapter(fake, client).generate(edit)

    [sent] = fake.requests
    assert sent.parts == ["text", "image_url"]
    assert sent.image_types == ["image/png"]
    assert sent.image_urls == ["data:image/png;base64," + base64.b64encode(avatar).decode()]


async def test_an_input_that_is_no_image_is_refused_before_anything_is_sent(
    fake: OpenRouterFake, client: httpx.AsyncClient
) -> None:
    request = ImageRequest(prompt="p", images=(SELFIE, b"%PDF-1.7"), aspect_ratio="1:1")

    with pytest.raises(ImageModelBadRequest, match="input image 2"):
        await adapter(fake, client).generate(request)
    assert fake.requests == []


def test_a_request_holds_one_to_fourteen_images_and_keeps_the_one_image_form() -> None:
    single = ImageRequest(prompt="p", image_jpeg=SELFIE, aspect_ratio="1:1")
    assert single.images == (SELFIE,)
    assert single.image_jpeg == SELFIE
    assert single == ImageRequest(prompt="p", images=(SELFIE,), aspect_ratio="1:1")
    with pytest.raises(ValueError, match="1 to 14 images"):
        ImageRequest(prompt="p", images=(), aspect_ratio="1:1")
    with pytest.raises(ValueError, match="1 to 14 images"):
        ImageRequest(prompt="p", images=(SELFIE,) * 15, aspect_ratio="1:1")
    with pytest.raises(ValueError, match="not both"):
        ImageRequest(prompt="p", images=(SELFIE,), image_jpeg=SELFIE, aspect_ratio="1:1")


# --- the start-up check against GET /models ---------------------------------------------------


async def test_the_model_check_is_quiet_when_every_model_makes_images(
    fake: OpenRouterFake, client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="core.openrouter_catalog")

    problems = await adapter(fake, client, fallback_models=[FALLBACK]).check_models()

    assert problems == []
    [listed] = fake.model_list_requests
    assert listed.json == {"output_modalities": "all"}  # the default lists text models only
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert any(FALLBACK in r.getMessage() for r in caplog.records)


async def test_the_model_check_warns_about_a_missing_model_and_one_without_image_output(
    fake: OpenRouterFake, client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="core.openrouter_catalog")
    fake.catalogue.remove(FALLBACK)
    chain = [FALLBACK, "openai/gpt-4o-mini"]

    problems = await adapter(fake, client, fallback_models=chain).check_models()

    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == problems
    assert len(problems) == 2
    assert FALLBACK in problems[0] and "not in OpenRouter's model list" in problems[0]
    assert "openai/gpt-4o-mini" in problems[1] and "no image output" in problems[1]
    assert API_KEY not in "\n".join(warnings)


async def test_an_image_only_model_counts_as_present(
    fake: OpenRouterFake, client: httpx.AsyncClient
) -> None:
    fake.catalogue.add("black-forest-labs/flux.2-pro", outputs=("image",))

    problems = await adapter(fake, client, model="black-forest-labs/flux.2-pro").check_models()

    assert problems == []


async def test_the_model_check_gives_up_quietly_when_openrouter_is_unreachable_or_slow(
    fake: OpenRouterFake, client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="core.openrouter_catalog")
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        dead_port = closed.getsockname()[1]
    unreachable = adapter(fake, client, base_url=f"http://127.0.0.1:{dead_port}/api/v1")
    fake.model_list_delay = 30.0  # far past the check's budget
    slow = adapter(fake, client)

    assert await unreachable.check_models(seconds=2.0) == []
    started = time.monotonic()
    assert await slow.check_models(seconds=0.3) == []

    assert time.monotonic() - started < 10  # bounded by the budget, not by the 30 s answer
    gave_up = [r.getMessage() for r in caplog.records if "could not check" in r.getMessage()]
    assert len(gave_up) == 2
    assert API_KEY not in "\n".join(gave_up)


async def test_the_fake_lists_models_like_openrouter(
    fake: OpenRouterFake, client: httpx.AsyncClient
) -> None:
    fake.catalogue.add("black-forest-labs/flux.2-pro", outputs=("image",))
    url = fake.base_url + "/models"

    default = (await client.get(url)).json()["data"]
    images_only = (await client.get(url, params={"output_modalities": "image"})).json()["data"]
    everything = (await client.get(url, params={"output_modalities": "all"})).json()["data"]

    assert "black-forest-labs/flux.2-pro" not in [m["id"] for m in default]
    assert "openai/gpt-4o-mini" not in [m["id"] for m in images_only]
    assert {m["id"] for m in everything} == set(fake.catalogue.models)
    [flux] = [m for m in everything if m["id"] == "black-forest-labs/flux.2-pro"]
    assert flux["architecture"]["output_modalities"] == ["image"]
    assert flux["architecture"]["input_modalities"] == ["image", "text"]


async def test_the_fake_refuses_a_models_list_that_is_not_model_ids(
    fake: OpenRouterFake, client: httpx.AsyncClient
) -> None:
    body = {
        "model": MODEL,
        "models": [MODEL, 42],
        "messages": [{"role": "user", "content": [{"type": "text", "text": "x"}]}],
    }
    answer = await client.post(
        fake.base_url + "/chat/completions",
        json=body,
        headers={"Authorization": f"Bearer {API_KEY}"},
    )
    assert answer.status_code == 400
    assert "models" in answer.json()["error"]["message"]
