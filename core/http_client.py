"""The one shared HTTP client of a process (the image model and its result fetches use it)."""

from __future__ import annotations

import httpx


def build_http_client() -> httpx.AsyncClient:
    """The one shared client: pooled, explicit timeouts (callers pass their own), no redirects."""
    return httpx.AsyncClient(
        limits=httpx.Limits(max_connections=100, max_keepalive_connections=20, keepalive_expiry=30),
        timeout=httpx.Timeout(60.0, connect=10.0),
        follow_redirects=False,
    )
