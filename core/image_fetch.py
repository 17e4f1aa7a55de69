"""Turning the model's image URL into verified image bytes.

The URL comes from a third party, so it is untrusted input: data URLs are size-checked before
decoding, and https URLs are fetched only from public addresses (no SSRF into our network),
pinned to the address we checked (no DNS rebinding between check and connect), streamed with
a byte cap, and never with our credentials.
"""

from __future__ import annotations

import asyncio
import io
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Sequence

import httpx
import pybase64
from PIL import Image

from core.errors import ImageModelBadResponse
from core.image_header import decode_jpeg_scaled_down

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Awaitable[Sequence[str]]]
"""`(host, port) -> addresses`; injectable so tests can prove refusals without DNS."""

_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
MAX_RESULT_PIXELS = 40_000_000  # the model makes ~1-4 MP; more is a decompression bomb
_FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}


async def system_resolver(host: str, port: int) -> list[str]:
    """Every address the OS resolver gives for `host` (A and AAAA)."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one tunnels to, which is where packets really end up."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_public_address(address: IPAddress) -> bool:
    """True only for globally routable unicast addresses (IPv4 or IPv6)."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None and not is_public_address(embedded):
            return False
    blocked = (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_reserved
        or address.is_multicast
        or address.is_unspecified
    )
    return address.is_global and not blocked


def sniff_image_type(data: bytes) -> str | None:
    """The MIME type from magic bytes; the provider's declared type is not trusted."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def _pillow_format(data: bytes) -> str:
    """Pillow's name for the format, after `verify()` and, unless that proved it, a decode.

    A PNG's `verify()` checks every chunk's CRC up to IEND, image data included, so a
    truncated or damaged one fails there. It lets a truncated JPEG through: that is decoded,
    at 1/8 scale (every coefficient is still entropy-decoded, for a fraction of the cost).
    """
    with Image.open(io.BytesIO(data), formats=list(_FORMATS)) as image:
        if image.width * image.height > MAX_RESULT_PIXELS:
            raise ValueError(f"{image.width}x{image.height} is more pixels than we decode")
        image.verify()
        if image.format == "PNG":
            return "PNG"
    with Image.open(io.BytesIO(data), formats=list(_FORMATS)) as image:
        if image.format == "JPEG":
            decode_jpeg_scaled_down(image)
        else:
            image.load()
        return str(image.format)


async def verify_image(data: bytes) -> str:
    """Check the bytes really are a PNG/JPEG/WebP (magic bytes, then Pillow) and return its type.

    Pillow runs in a thread: decoding a multi-MB result takes tens of milliseconds.
    """
    sniffed = sniff_image_type(data)
    if sniffed is None:
        raise ImageModelBadResponse("the model's result is not a PNG, JPEG or WebP image")
    try:
        pillow_format = await asyncio.to_thread(_pillow_format, data)
    except Exception as exc:
        raise ImageModelBadResponse(f"the model's {sniffed} result is corrupt: {exc}") from exc
    if _FORMATS.get(pillow_format) != sniffed:
        raise ImageModelBadResponse(f"the model's result is {pillow_format}, not {sniffed}")
    return sniffed


def decode_data_url(url: str, *, max_bytes: int) -> bytes:
    """Bytes of a `data:<type>;base64,<payload>` URL, refusing oversize payloads before decoding."""
    header, sep, payload = url.partition(",")
    if not sep or not header.endswith(";base64"):
        raise ImageModelBadResponse("the model's data URL is not base64")
    if len(payload) * 3 // 4 > max_bytes:
        raise ImageModelBadResponse(f"the model's image is larger than {max_bytes} bytes")
    try:
        return pybase64.b64decode(payload, validate=True)  # SIMD: 0.3 ms per 2 MB, not 15
    except ValueError as exc:
        raise ImageModelBadResponse("the model's data URL has undecodable base64") from exc


async def read_capped(response: httpx.Response, limit: int) -> bytearray:
    """The body, but stop reading (and fail) as soon as it passes `limit` bytes. A bytearray,
    not a copy of it as bytes: an answer is megabytes, and JSON parses either."""
    declared = response.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise ImageModelBadResponse(f"answer of {declared} bytes exceeds the {limit} byte cap")
    body = bytearray()
    async for chunk in response.aiter_bytes():
        body += chunk
        if len(body) > limit:
            raise ImageModelBadResponse(f"answer exceeds the {limit} byte cap")
    return body


class ResultFetcher:
    """Downloads an https result URL from a public address, pinned, capped and anonymous."""

    def __init__(
        self, client: httpx.AsyncClient, *, resolver: Resolver, max_bytes: int, timeout: float
    ) -> None:
        self._client = client
        self._resolver = resolver
        self._max_bytes = max_bytes
        self._timeout = timeout

    async def fetch(self, url: str) -> bytes:
        try:
            parsed = httpx.URL(url)
        except httpx.InvalidURL as exc:
            raise ImageModelBadResponse("the model's image URL is invalid") from exc
        if parsed.scheme != "https" or not parsed.host:
            raise ImageModelBadResponse(f"refusing a {parsed.scheme or 'relative'} image URL")
        host = parsed.raw_host.decode("ascii")
        address = await self._public_address(host, parsed.port or 443)
        try:
            async with asyncio.timeout(self._timeout):
                return await self._download(parsed, host, address)
        except (httpx.HTTPError, OSError, TimeoutError) as exc:
            raise ImageModelBadResponse(f"fetching the image from {host} failed: {exc!r}") from exc

    async def _public_address(self, host: str, port: int) -> IPAddress:
        """The address to connect to; every address of the host must be public, not just one."""
        try:
            addresses = [ipaddress.ip_address(host)]
        except ValueError:
            addresses = await self._resolve(host, port)
        if not addresses:
            raise ImageModelBadResponse(f"image host {host} has no address")
        for address in addresses:
            if not is_public_address(address):
                raise ImageModelBadResponse(f"refusing image host {host}: {address} is not public")
        return addresses[0]

    async def _resolve(self, host: str, port: int) -> list[IPAddress]:
        try:
            return [ipaddress.ip_address(a) for a in await self._resolver(host, port)]
        except (OSError, ValueError) as exc:
            raise ImageModelBadResponse(f"cannot resolve image host {host}") from exc

    async def _download(self, url: httpx.URL, host: str, address: IPAddress) -> bytes:
        pinned = url.copy_with(host=str(address))
        headers = {
            "Host": url.netloc.decode("ascii"),
            "Accept": "image/*",
            "Accept-Encoding": "identity",  # a gzip bomb would slip past a cap on wire bytes
            # A pooled connection to this IP may have been TLS-checked for another name.
            "Connection": "close",
        }
        async with self._client.stream(
            "GET",
            pinned,
            headers=headers,
            extensions={"sni_hostname": host},  # TLS verifies the name, not the IP
            follow_redirects=False,
            timeout=httpx.Timeout(self._timeout),
        ) as response:
            if response.status_code != 200:
                raise ImageModelBadResponse(f"image host {host} answered {response.status_code}")
            return bytes(await read_capped(response, self._max_bytes))
