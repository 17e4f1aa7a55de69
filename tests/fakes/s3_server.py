"""A real S3-compatible HTTP server (moto's server mode) on 127.0.0.1 for integration tests.

Going over HTTP, rather than patching botocore in-process, exercises aiobotocore's transport,
signing, timeouts and error mapping the way MinIO or AWS would.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Literal

import aiohttp
import botocore.session
from aiohttp import web
from moto.server import ThreadedMotoServer

DUMMY_CREDENTIALS: dict[str, str] = {
    "AWS_ACCESS_KEY_ID": "testing-access-key-id",
    "AWS_SECRET_ACCESS_KEY": "testing-secret-access-key-do-not-leak",
    "AWS_DEFAULT_REGION": "us-east-1",
}


def free_port() -> int:
    """A port that nothing listens on right now (used for the 'endpoint down' case too)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def dummy_aws_env() -> Iterator[None]:
    """Set dummy AWS credentials for the block, so no real account can ever be used."""
    saved = {name: os.environ.get(name) for name in DUMMY_CREDENTIALS}
    os.environ.update(DUMMY_CREDENTIALS)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@contextmanager
def moto_server() -> Iterator[str]:
    """Run moto's threaded server on an ephemeral 127.0.0.1 port; yields its endpoint URL."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def create_bucket(endpoint_url: str, bucket: str | None = None) -> str:
    """Create a (fresh, uniquely named by default) bucket and return its name."""
    name = bucket or f"aivenger-test-{uuid.uuid4().hex[:12]}"
    # botocore's stubs type this as BaseClient, which has no per-operation methods.
    client: Any = botocore.session.get_session().create_client(
        "s3",
        endpoint_url=endpoint_url,
        region_name=DUMMY_CREDENTIALS["AWS_DEFAULT_REGION"],
        aws_access_key_id=DUMMY_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=DUMMY_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    )
    try:
        client.create_bucket(Bucket=name)
    finally:
        client.close()
    return name


@contextmanager
def moto_s3(bucket: str | None = None) -> Iterator[tuple[str, str]]:
    """Dummy credentials + a running server + one bucket; yields ``(endpoint_url, bucket)``.

    Meant for a session-scoped fixture; tests that need isolation call `create_bucket` again.
    """
    with dummy_aws_env(), moto_server() as endpoint_url:
        yield endpoint_url, create_bucket(endpoint_url, bucket)


FaultMode = Literal["down", "error", "lost"]
_HOP_BY_HOP = frozenset(
    {"host", "content-length", "transfer-encoding", "connection", "expect", "keep-alive"}
)
_UNAVAILABLE = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>ServiceUnavailable</Code>'
    b"<Message>Service is unable to handle request.</Message></Error>"
)


class S3FaultProxy:
    """An HTTP proxy on 127.0.0.1 in front of an S3 server that fails on demand.

    Point S3_ENDPOINT_URL at `endpoint_url`. `fail(mode, method=, path_contains=)` makes matching
    requests fail until `heal()`: "down" drops the connection unanswered, "error" answers S3's 503
    ServiceUnavailable, "lost" forwards the request (the write lands) and drops the answer:
    the ambiguous failure that leaves objects nobody knows about.
    """

    def __init__(self, upstream_url: str) -> None:
        self.upstream_url = upstream_url.rstrip("/")
        self.seen: list[tuple[str, str, str]] = []  # (HTTP method, path, what happened)
        self._faults: list[tuple[str | None, str, FaultMode]] = []  # (method, path part, mode)
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self._port = 0

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self._port}"

    def fail(self, mode: FaultMode, *, method: str | None = None, path_contains: str = "") -> None:
        """Fail requests of this HTTP method (PUT, GET, HEAD, DELETE; None: all) whose path
        contains `path_contains` (e.g. "/originals/"), from now on."""
        self._faults.append((method.upper() if method else None, path_contains, mode))

    def heal(self) -> None:
        self._faults.clear()

    async def __aenter__(self) -> S3FaultProxy:
        self._session = aiohttp.ClientSession(auto_decompress=False)
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/{path:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        self._port = sock.getsockname()[1]
        await web.SockSite(self._runner, sock).start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        if self._session is not None:
            await self._session.close()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        mode = next(
            (
                fault
                for method, part, fault in reversed(self._faults)
                if method in (None, request.method) and part in request.path
            ),
            None,
        )
        body = await request.read()
        self.seen.append((request.method, request.path, mode or "ok"))
        if mode == "error":
            return web.Response(status=503, body=_UNAVAILABLE, content_type="application/xml")
        if mode == "down":
            return self._drop(request)
        response = await self._forward(request, body)
        return self._drop(request) if mode == "lost" else response

    async def _forward(self, request: web.Request, body: bytes) -> web.Response:
        assert self._session is not None
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP_BY_HOP}
        async with self._session.request(
            request.method, self.upstream_url + request.path_qs, headers=headers, data=body
        ) as upstream:
            payload = await upstream.read()
            kept = {k: v for k, v in upstream.headers.items() if k.lower() not in _HOP_BY_HOP}
            return web.Response(status=upstream.status, body=payload, headers=kept)

    @staticmethod
    def _drop(request: web.Request) -> web.Response:
        """Close the connection without an answer, as a dead or restarting endpoint does."""
        if request.transport is not None:
            request.transport.abort()
        return web.Response(status=502)
