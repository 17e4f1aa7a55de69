"""One receiver and two worker processes on PostgreSQL and a local S3 server."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.db_fixtures import truncate
from tests.e2e.harness import is_avatar, text_of
from tests.fakes import images
from tests.fakes.openrouter import Outcome
from tests.fakes.s3_server import DUMMY_CREDENTIALS, moto_s3
from tests.process.harness import Fleet, fleet


@pytest.fixture(scope="module")
def s3() -> Iterator[tuple[str, str]]:
    with moto_s3() as endpoint_and_bucket:
        yield endpoint_and_bucket


def s3_settings(s3: tuple[str, str], run: str) -> dict[str, str]:
    endpoint, bucket = s3
    return {"STORAGE_URL": f"s3://{bucket}/{run}", "S3_ENDPOINT_URL": endpoint, **DUMMY_CREDENTIALS}


async def started_users(crew: Fleet, count: int) -> list:  # type: ignore[type-arg]
    users = [crew.emu.user(n, first_name=f"U{n}") for n in range(1, count + 1)]
    for user in users:
        await user.send_text("/start")
    for user in users:
        await user.wait_for(lambda m: "Welcome" in text_of(m), since=0)
    return users


def delivered_by(process_lines: list[str]) -> int:
    return sum("generation delivered" in line for line in process_lines)


async def test_thirty_photos_from_ten_users_are_charged_and_delivered_once_across_two_workers(
    postgres_database: str, s3: tuple[str, str], tmp_path: Path
) -> None:
    await truncate(postgres_database)
    async with fleet(postgres_database, "", **s3_settings(s3, "scale")) as crew:
        receiver = await crew.spawn("receiver", WORKERS=0)
        workers = [await crew.spawn(f"worker-{n}", "worker", WORKERS=4) for n in (1, 2)]
        for process in (receiver, *workers):
            await process.wait_for_line("started:")
        crew.model.latency = 0.5
        users = await started_users(crew, 10)

        started = time.monotonic()
        for _ in range(3):
            await asyncio.gather(*(user.send_photo(images.jpeg(320, 240)) for user in users))
            await asyncio.sleep(0.05)
        for user in users:
            await user.wait_for(
                lambda m, u=user: sum(is_avatar(x) for x in u.messages) == 3, since=0, timeout=60
            )
        wall = time.monotonic() - started
        rows = await crew.settled()

        per_worker = [delivered_by(w.lines) for w in workers]
        print(f"\nscale-out: 30 photos, wall {wall:.2f} s, jobs per worker {per_worker}")
        assert [row.status for row in rows] == ["completed"] * 30
        assert sorted(per_worker) != [0, 30] and sum(per_worker) == 30
        assert delivered_by(receiver.lines) == 0
        avatars = [
            c for c in crew.emu.calls("sendPhoto") if "credits left" in str(c.params.get("caption"))
        ]
        assert len(avatars) == 30
        for user in users:
            balance, total, kinds = await crew.ledger(user.id)
            assert (balance, total) == (0, 0)
            assert kinds.count("charge") == 3
            assert "refund" not in kinds


async def test_a_killed_workers_job_is_finished_by_the_other_after_the_lease_expires(
    postgres_database: str, s3: tuple[str, str], tmp_path: Path
) -> None:
    await truncate(postgres_database)
    async with fleet(postgres_database, "", JOB_LEASE_SECONDS=2, **s3_settings(s3, "kill")) as crew:
        receiver = await crew.spawn("receiver", WORKERS=0)
        doomed = await crew.spawn("doomed", "worker", WORKERS=2)
        await receiver.wait_for_line("started:")
        await doomed.wait_for_line("started:")
        (user,) = await started_users(crew, 1)
        crew.model.script(Outcome.hang(60))
        await user.send_photo(images.jpeg())
        while not crew.model.requests:
            await asyncio.sleep(0.05)

        doomed.kill()  # holds the lease, mid model call
        await doomed.wait(10)
        survivor = await crew.spawn("survivor", "worker", WORKERS=2)
        await user.wait_for(is_avatar, since=0, timeout=30)
        rows = await crew.settled()

        assert [row.status for row in rows] == ["completed"]
        assert rows[0].attempts == 2
        assert delivered_by(survivor.lines) == 1
        assert sum(is_avatar(m) for m in user.messages) == 1
        assert (await crew.ledger(1)) == (20, 20, ["grant", "charge"])
