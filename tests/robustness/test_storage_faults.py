"""S3 goes down, errors, or loses answers during put, get and delete: the user gets a clear
message and keeps their credits, no row is left half-done, and `python -m bot cleanup` finds
and removes exactly the objects such faults leave behind.

The bot uses the real S3 store against moto, through a proxy that fails on demand.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import botocore.session
import pytest

from bot.app import Overrides
from core.errors import StorageError
from tests.db_fixtures import sqlite_url
from tests.e2e.harness import BotWorld, bot_world, buttons, is_avatar, text_of
from tests.fakes import images
from tests.fakes.blobs import FakeBlobStore
from tests.fakes.s3_server import DUMMY_CREDENTIALS, S3FaultProxy, create_bucket, moto_s3
from tests.robustness.bot_process import ROOT
from tests.robustness.userview import REFUNDED, STORAGE_DOWN, avatars, money, statuses, texts, until

PREFIX = "bot"


@pytest.fixture(scope="module")
def moto() -> Iterator[str]:
    with moto_s3() as (endpoint_url, _bucket):
        yield endpoint_url


def bucket_keys(endpoint_url: str, bucket: str) -> set[str]:
    client: Any = botocore.session.get_session().create_client(
        "s3",
        endpoint_url=endpoint_url,
        region_name=DUMMY_CREDENTIALS["AWS_DEFAULT_REGION"],
        aws_access_key_id=DUMMY_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=DUMMY_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    )
    try:
        listed = client.list_objects_v2(Bucket=bucket, Prefix=f"{PREFIX}/")
    finally:
        client.close()
    return {item["Key"].removeprefix(f"{PREFIX}/") for item in listed.get("Contents", [])}


async def run_cleanup(database_url: str, endpoint_url: str, bucket: str, *args: str) -> str:
    env = {
        **DUMMY_CREDENTIALS,
        "PATH": "/usr/bin:/bin",
        "TELEGRAM_BOT_TOKEN": "1:cleanup",
        "OPENROUTER_API_KEY": "cleanup",
        "DATABASE_URL": database_url,
        "STORAGE_URL": f"s3://{bucket}/{PREFIX}",
        "S3_ENDPOINT_URL": endpoint_url,
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "cleanup", "--min-age", "0", *args,
        cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    output, _ = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 0, output.decode()
    return output.decode()


async def press(
    world: BotWorld, user_id: int, message: dict[str, Any], label: str
) -> dict[str, Any]:
    """Press a button by its label and return Telegram's answer to the callback query."""
    query_id = await world.emu.user(user_id).press(message, buttons(message)[label])
    return await world.emu.wait_callback_answered(query_id, timeout=15)


async def test_storage_faults_are_refunded_leave_no_half_rows_and_cleanup_removes_the_debris(
    database_url: str, tmp_path: Path, moto: str
) -> None:
    bucket = create_bucket(moto)
    async with (
        S3FaultProxy(moto) as s3,
        bot_world(
            database_url,
            tmp_path,
            storage_url=f"s3://{bucket}/{PREFIX}",
            s3_endpoint_url=s3.endpoint_url,
        ) as world,
    ):
        ada = await world.started_user(1)

        s3.fail("down")  # put of the original: nothing charged, nothing stored
        await ada.send_photo(images.jpeg())
        await ada.wait_for(lambda m: STORAGE_DOWN in text_of(m), timeout=15)
        s3.fail("lost", method="PUT")  # the write lands, its answer does not
        await ada.send_photo(images.jpeg())
        await ada.wait_for(lambda m: STORAGE_DOWN in text_of(m), timeout=15)
        assert await money(world, 1) == (30, 30)
        assert await world.generations() == []

        s3.heal()  # put of the result, after the model answered: refunded
        world.model.latency = 1.0
        await ada.send_photo(images.jpeg())
        await until(lambda: bool(world.model.requests))
        s3.fail("lost", method="PUT")
        refund = await ada.wait_for(lambda m: REFUNDED in text_of(m), timeout=15)
        assert STORAGE_DOWN in text_of(refund)
        assert await money(world, 1) == (30, 30)

        s3.heal()
        world.model.latency = 0
        avatar = await world.avatar_after_photo(ada)

        s3.fail("error", method="GET")  # get: 🔁 Again (its job reads the original) and Full size
        refunds = sum(1 for m in ada.messages if REFUNDED in text_of(m))
        await press(world, 1, avatar, "🔁 Again")
        again = await ada.wait_for(
            lambda m: sum(1 for x in ada.messages if REFUNDED in text_of(x)) > refunds, timeout=15
        )
        assert STORAGE_DOWN in text_of(again) or any(
            STORAGE_DOWN in text_of(m) and REFUNDED in text_of(m) for m in ada.messages[-3:]
        )
        full_size = await press(world, 1, avatar, "📄 Full size")
        assert STORAGE_DOWN in full_size["text"]
        await world.settled()
        assert await money(world, 1) == (20, 20)

        s3.fail("error", method="DELETE")  # delete from the gallery
        (doomed,) = [row for row in await world.generations() if row.status == "completed"]
        deleting = {doomed.original_key, str(doomed.result_key)}
        await ada.send_text("/gallery")
        page = await ada.wait_for(lambda m: bool(m.get("photo")) and "1 / 1" in text_of(m))
        await press(world, 1, page, "🗑")
        confirm = await ada.wait_for(lambda m: "Delete this avatar" in text_of(m))
        first_try = await press(world, 1, confirm, "Yes, delete")
        s3.heal()
        if "completed" in await statuses(world):  # refused, and the avatar is still whole
            assert STORAGE_DOWN in first_try["text"]
            assert deleting <= await asyncio.to_thread(bucket_keys, moto, bucket)
            await press(world, 1, confirm, "Yes, delete")
        await ada.wait_for(lambda m: "gallery is empty" in text_of(m), timeout=10)

        rows = await world.generations()
        # The lost result write, and 🔁 Again whose job could not read its (shared) original.
        assert [(row.status, row.error_code) for row in rows] == [("failed", "storage_error")] * 2
        assert len(avatars(ada)) == 1
        assert not any("Creating your superhero" in text for text in texts(ada))

    lost_writes = {path.split(f"/{PREFIX}/", 1)[1] for _, path, how in s3.seen if how == "lost"}
    stored = await asyncio.to_thread(bucket_keys, moto, bucket)
    referenced = {row.original_key for row in rows}  # Again's row keeps the deleted avatar's
    debris = stored - referenced
    assert referenced <= stored  # no row points at a missing blob
    assert {key.split("/")[0] for key in lost_writes} == {"avatars", "originals"}
    assert debris <= lost_writes | deleting
    # A lost write is deleted by the transaction it failed, when S3 takes the delete: the
    # avatar's is (only PUTs failed then), the original's is not (S3 was down for every call).
    assert not {key for key in lost_writes if key.startswith("avatars/")} & stored

    report = await run_cleanup(database_url, moto, bucket, "--dry-run")
    reported = {line.removeprefix("orphan blob: ") for line in report.splitlines()}
    assert debris <= reported
    assert f"would remove {len(debris)} orphan blobs and 0 stale rows" in report
    done = await run_cleanup(database_url, moto, bucket)
    assert f"removed {len(debris)} orphan blobs and 0 stale rows" in done
    assert await asyncio.to_thread(bucket_keys, moto, bucket) == referenced


async def test_a_storage_failure_inside_the_worker_is_refunded_and_others_are_served(
    tmp_path: Path,
) -> None:
    blobs = FakeBlobStore()
    async with bot_world(
        await sqlite_url(tmp_path), tmp_path, overrides=Overrides(blobs=blobs)
    ) as world:
        ada, bob = await world.started_user(1), await world.started_user(2)
        blobs.fail_next("get", StorageError("S3 get failed: ServiceUnavailable (HTTP 503)"))
        await ada.send_photo(images.jpeg())  # the worker cannot read the original back
        notice = await ada.wait_for(lambda m: REFUNDED in text_of(m), timeout=10)
        await bob.send_photo(images.jpeg())
        await bob.wait_for(is_avatar, timeout=10)
        rows = await world.settled()

        assert STORAGE_DOWN in text_of(notice)
        assert await money(world, 1) == (30, 30)
        assert await money(world, 2) == (20, 20)
        assert sorted((r.user_id, r.status) for r in rows) == [(1, "failed"), (2, "completed")]
        assert world.model.requests and len(world.model.requests) == 1


async def test_a_delete_that_fails_half_way_leaves_the_avatar_whole_or_gone(
    tmp_path: Path, moto: str
) -> None:
    bucket = create_bucket(moto)
    async with (
        S3FaultProxy(moto) as s3,
        bot_world(
            await sqlite_url(tmp_path),
            tmp_path,
            storage_url=f"s3://{bucket}/{PREFIX}",
            s3_endpoint_url=s3.endpoint_url,
        ) as world,
    ):
        ada = await world.started_user(1)
        await world.avatar_after_photo(ada)
        (row,) = await world.generations()
        await ada.send_text("/gallery")
        page = await ada.wait_for(lambda m: bool(m.get("photo")) and "1 / 1" in text_of(m))
        await press(world, 1, page, "🗑")
        confirm = await ada.wait_for(lambda m: "Delete this avatar" in text_of(m))
        s3.fail("error", method="DELETE", path_contains="/originals/")
        answer = await press(world, 1, confirm, "Yes, delete")
        s3.heal()

        stored = await asyncio.to_thread(bucket_keys, moto, bucket)
        rows = await world.generations()
        assert STORAGE_DOWN in answer["text"] or rows == []
        whole = rows != [] and {row.original_key, row.result_key} <= stored
        assert whole or rows == [], "the row is left pointing at a deleted avatar"
