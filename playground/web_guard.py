"""Who may use the playground's endpoints: its own page, on a loopback address, and no one else."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
LOCAL_NAMES = frozenset({"127.0.0.1", "localhost", "::1"})


@web.middleware
async def same_origin_only(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Only this page may act as the fake users: another site open in the same browser could
    otherwise post to 127.0.0.1 (a form needs no CORS preflight), or reach us by DNS rebinding."""
    host = (request.host or "").rsplit(":", 1)[0].strip("[]")
    origin = request.headers.get("Origin")
    if host not in LOCAL_NAMES or (origin is not None and origin != f"http://{request.host}"):
        raise web.HTTPForbidden(text="the playground answers its own page only")
    return await handler(request)
