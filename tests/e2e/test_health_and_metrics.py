"""/healthz and /metrics on HEALTH_PORT, with the bot running against the fakes."""

from __future__ import annotations

import socket
from pathlib import Path

import asyncpg
import httpx

from tests.db_fixtures import PG_ADMIN_DSN, truncate
from tests.e2e.harness import bot_world, is_avatar, text_of
from tests.fakes import images
from tests.fakes.openrouter import Outcome


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def metric(body: str, name: str) -> float:
    """The value of one sample line, e.g. `aivenger_credits_total{kind="charge"}`."""
    for line in body.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[-1])
    return 0.0


async def set_connections_allowed(database: str, allowed: bool) -> None:
    admin = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        await admin.execute(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS {str(allowed).lower()}')
        if not allowed:
            await admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1",
                database,
            )
    finally:
        await admin.close()


async def test_healthz_is_200_then_503_when_the_database_is_gone(
    postgres_database: str, tmp_path: Path
) -> None:
    await truncate(postgres_database)
    port = free_port()
    database = postgres_database.rsplit("/", 1)[1]
    async with (
        bot_world(postgres_database, tmp_path, health_port=port),
        httpx.AsyncClient() as http,
    ):
        healthy = await http.get(f"http://127.0.0.1:{port}/healthz")
        assert healthy.status_code == 200
        assert healthy.json() == {"status": "ok", "database": "ok", "workers": "ok", "in_flight": 0}

        await set_connections_allowed(database, False)
        try:
            down = await http.get(f"http://127.0.0.1:{port}/healthz", timeout=10)
        finally:
            await set_connections_allowed(database, True)
        assert down.status_code == 503
        assert down.json()["database"] == "unreachable"


async def test_metrics_move_as_generations_complete_fail_and_refund(tmp_path: Path) -> None:
    from tests.db_fixtures import sqlite_url

    port = free_port()
    async with bot_world(await sqlite_url(tmp_path), tmp_path, health_port=port) as world:
        url = f"http://127.0.0.1:{port}/metrics"
        user = await world.started_user(1)
        await world.avatar_after_photo(user)
        world.model.script(*[Outcome.http(502, "provider down")] * 4)
        await user.send_photo(images.jpeg())
        await user.wait_for(lambda m: "refunded" in text_of(m))
        await world.settled()
        async with httpx.AsyncClient() as http:
            body = (await http.get(url)).text
        print(body)

        assert metric(body, 'aivenger_generations_total{error_code="",outcome="completed"}') == 1
        assert (
            metric(
                body, 'aivenger_generations_total{error_code="model_unavailable",outcome="failed"}'
            )
            == 1
        )
        assert metric(body, 'aivenger_credits_total{kind="grant"}') == 30
        assert metric(body, 'aivenger_credits_total{kind="charge"}') == 20
        assert metric(body, 'aivenger_credits_total{kind="refund"}') == 10
        answered = '{model="google/gemini-2.5-flash-image"}'
        assert metric(body, "aivenger_model_cost_usd_total" + answered) > 0
        assert metric(body, "aivenger_model_seconds_count" + answered) == 1
        assert metric(body, "aivenger_generation_seconds_count") == 1
        assert metric(body, "aivenger_queue_depth") == 0
        assert "aivenger_telegram_api_errors_total" in body
        assert any(is_avatar(m) for m in user.messages)


async def refused(url: str) -> bool:
    try:
        async with httpx.AsyncClient() as http:
            await http.get(url, timeout=5)
    except httpx.ConnectError:
        return True
    return False


async def test_health_and_metrics_listen_on_loopback_only_by_default(tmp_path: Path) -> None:
    from tests.db_fixtures import sqlite_url

    port = free_port()
    async with bot_world(await sqlite_url(tmp_path), tmp_path, health_port=port):
        async with httpx.AsyncClient() as http:
            assert (await http.get(f"http://127.0.0.1:{port}/healthz")).status_code == 200
        # 127.0.0.2 is another local address: a server on 0.0.0.0 would answer it too.
        assert await refused(f"http://127.0.0.2:{port}/metrics")


async def test_health_listen_chooses_the_address(tmp_path: Path) -> None:
    from tests.db_fixtures import sqlite_url

    port = free_port()
    async with bot_world(
        await sqlite_url(tmp_path), tmp_path, health_port=port, health_listen="127.0.0.2"
    ):
        async with httpx.AsyncClient() as http:
            assert (await http.get(f"http://127.0.0.2:{port}/healthz")).status_code == 200
        assert await refused(f"http://127.0.0.1:{port}/healthz")


async def test_metrics_need_the_bearer_token_when_one_is_set(tmp_path: Path) -> None:
    from tests.db_fixtures import sqlite_url

    port = free_port()
    token = "metrics-" + "s3cret"
    async with (
        bot_world(
            await sqlite_url(tmp_path), tmp_path, health_port=port, metrics_token=token
        ) as world,
        httpx.AsyncClient() as http,
    ):
        await world.started_user(1)
        url = f"http://127.0.0.1:{port}/metrics"
        anonymous = await http.get(url)
        wrong = await http.get(url, headers={"Authorization": "Bearer metrics-guess"})
        basic = await http.get(url, headers={"Authorization": f"Basic {token}"})
        right = await http.get(url, headers={"Authorization": f"Bearer {token}"})
        health = await http.get(f"http://127.0.0.1:{port}/healthz")

    assert [anonymous.status_code, wrong.status_code, basic.status_code] == [401, 401, 401]
    assert "aivenger_" not in anonymous.text + wrong.text + basic.text
    assert anonymous.headers["WWW-Authenticate"].startswith("Bearer")
    assert right.status_code == 200
    assert metric(right.text, 'aivenger_credits_total{kind="grant"}') == 30
    assert health.status_code == 200
