"""The shared HTTP client in a burst: every call at once on its own connection, none waiting
in httpcore's queue, against a real local HTTP server counting calls in flight."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
from aiohttp import web

from core.http_client import build_http_client

CALLS = 150


@dataclass
class Server:
    url: str
    in_flight: int = 0
    most_in_flight: int = 0
    all_in: asyncio.Event = field(default_factory=asyncio.Event)


@pytest.fixture
async def server() -> AsyncIterator[Server]:
    app = web.Application()
    runner = web.AppRunner(app)
    state = Server(url="")

    async def slow(request: web.Request) -> web.Response:
        state.in_flight += 1
        state.most_in_flight = max(state.most_in_flight, state.in_flight)
        if state.in_flight == CALLS:
            state.all_in.set()
        with contextlib.suppress(TimeoutError):  # a model call: the connection stays busy
            await asyncio.wait_for(state.all_in.wait(), 3)
        state.in_flight -= 1
        if state.in_flight == 0:
            state.all_in.clear()
        return web.Response(body=b"{}", content_type="application/json")

    app.router.add_get("/call", slow)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, backlog=1024)
    await site.start()
    port = runner.addresses[0][1]
    state.url = f"http://127.0.0.1:{port}/call"
    try:
        yield state
    finally:
        await runner.cleanup()


async def test_a_burst_of_as_many_calls_as_workers_runs_at_once_wave_after_wave(
    server: Server,
) -> None:
    async with build_http_client(calls_at_once=CALLS) as client:
        for _ in range(2):
            server.most_in_flight = 0
            answers = await asyncio.gather(*(client.get(server.url) for _ in range(CALLS)))
            assert {answer.status_code for answer in answers} == {200}

        assert server.most_in_flight == CALLS  # none waited for a connection
