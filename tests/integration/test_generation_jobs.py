"""Generation jobs through the avatar service, the runner, the pool and the sweeper.

Runs on a SQLite file and on PostgreSQL; the image model, blob store and delivery are fakes.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core import generations, users
from core.clock import utcnow
from core.db import unit_of_work
from core.errors import (
    DeliveryError,
    ImageModelRefused,
    InsufficientCredits,
    NotAnImage,
    NotFound,
    StorageError,
    SubmissionRefused,
    TooManyActive,
)
from core.generations import SubmissionFacts
from core.models import Generation
from tests.fakes import images
from tests.integration.service_world import make_world

Sessions = async_sessionmaker[AsyncSession]


async def test_fifty_concurrent_submissions_with_thirty_credits_queue_exactly_three(
    sessions: Sessions, database_url: str
) -> None:
    async with make_world(sessions, workers=0, max_active=50) as world:
        await world.start_user()

        async def submit(n: int) -> str:
            try:
                await world.submissions.submit_photo(world.photo(message_id=n))
                return "queued"
            except InsufficientCredits:
                return "refused"

        started = time.perf_counter()
        outcomes = await asyncio.gather(*(submit(n) for n in range(1, 51)))
        elapsed = time.perf_counter() - started
        print(f"\n50 concurrent submissions on {database_url.split(':')[0]}: {elapsed:.3f} s")

        assert outcomes.count("queued") == 3
        assert await world.statuses() == ["queued"] * 3
        assert await world.balance_and_sum() == (0, 0)
        assert len(world.blobs.blobs) == 3  # refused photos left no blob behind


async def test_at_most_max_active_generations_per_user_are_queued(sessions: Sessions) -> None:
    async with make_world(sessions, workers=0, max_active=2) as world:
        await world.start_user()
        await world.submissions.submit_photo(world.photo(message_id=1))
        await world.submissions.submit_photo(world.photo(message_id=2))
        with pytest.raises(TooManyActive):
            await world.submissions.submit_photo(world.photo(message_id=3))

        assert await world.balance_and_sum() == (10, 10)


async def test_a_repeated_source_message_is_charged_once(sessions: Sessions) -> None:
    async with make_world(sessions, workers=0) as world:
        await world.start_user()
        first = await world.submissions.submit_photo(world.photo(message_id=5))
        again = await world.submissions.submit_photo(world.photo(message_id=5))

        assert (first.duplicate, again.duplicate) == (False, True)
        assert again.generation_id == first.generation_id
        assert await world.balance_and_sum() == (20, 20)
        account = await world.accounts.find(1)
        assert account is not None
        async with world.submissions.admission(account, chat_id=1, message_id=5) as admitted:
            assert not admitted


async def test_the_account_read_for_a_photo_brings_what_admitting_it_needs(
    sessions: Sessions,
) -> None:
    async with make_world(sessions, workers=0, max_active=2) as world:
        await world.start_user()
        await world.submissions.submit_photo(world.photo(message_id=5))
        profile = users.Profile(user_id=1, first_name="user1")

        again = await world.accounts.resolve(profile, register=True, photo=(1, 5))
        fresh = await world.accounts.resolve(profile, register=True, photo=(1, 6))
        plain = await world.accounts.resolve(profile, register=True)

        assert again is not None and again.photo == SubmissionFacts(taken=True, active=1)
        assert fresh is not None and fresh.photo == SubmissionFacts(taken=False, active=1)
        assert plain is not None and plain.photo is None
        async with world.submissions.admission(again, chat_id=1, message_id=5) as admitted:
            assert not admitted
        await world.submissions.submit_photo(world.photo(message_id=6))
        full = await world.accounts.resolve(profile, register=True, photo=(1, 7))
        assert full is not None
        with pytest.raises(TooManyActive):
            async with world.submissions.admission(full, chat_id=1, message_id=7):
                pass


async def test_an_invalid_image_is_refused_before_any_charge(sessions: Sessions) -> None:
    async with make_world(sessions, workers=0) as world:
        await world.start_user()
        bad = dataclasses.replace(world.photo(), image=images.pdf())
        with pytest.raises(NotAnImage):
            await world.submissions.submit_photo(bad)

        assert await world.balance_and_sum() == (30, 30)
        assert world.blobs.blobs == {}


async def test_a_photo_runs_to_a_delivered_avatar_with_the_caption_in_the_prompt(
    sessions: Sessions,
) -> None:
    async with make_world(sessions) as world:
        await world.start_user()
        await world.pool.start()
        submitted = await world.submissions.submit_photo(world.photo(caption="red cape, flying"))
        await world.delivery.wait_for(delivered=1)
        await world.settled()

        avatar = world.delivery.delivered[0]
        assert avatar.generation_id == submitted.generation_id
        assert avatar.balance == 20
        assert "red cape, flying" in world.model.requests[0].prompt
        page = await world.gallery.newest(1)
        assert page is not None and page.total == 1
        assert page.avatar.telegram_file_id == f"file-{submitted.generation_id}"
        image = await world.gallery.image(1, submitted.generation_id)
        assert image.data in world.blobs.blobs.values()
        assert await world.statuses() == ["completed"]
        assert await world.balance_and_sum() == (20, 20)


async def test_a_failed_generation_is_refunded_exactly_once(sessions: Sessions) -> None:
    async with make_world(sessions) as world:
        await world.start_user()
        world.model.script(ImageModelRefused("IMAGE_SAFETY"))
        await world.pool.start()
        submitted = await world.submissions.submit_photo(world.photo())
        await world.delivery.wait_for(failed=1)
        await world.settled()
        await world.runner.fail(submitted.generation_id, 1, ImageModelRefused("again"))

        failure = world.delivery.failures[0]
        assert (failure.error_code, failure.refunded, failure.balance) == (
            "model_refused",
            True,
            30,
        )
        assert await world.ledger_kinds() == ["grant", "charge", "refund"]
        assert await world.balance_and_sum() == (30, 30)
        assert await world.statuses() == ["failed"]


async def test_without_refund_policy_a_failure_keeps_the_charge(sessions: Sessions) -> None:
    async with make_world(sessions, refund_on_failure=False) as world:
        await world.start_user()
        world.model.script(ImageModelRefused("IMAGE_SAFETY"))
        await world.pool.start()
        await world.submissions.submit_photo(world.photo())
        await world.delivery.wait_for(failed=1)
        await world.settled()

        assert world.delivery.failures[0].refunded is False
        assert await world.balance_and_sum() == (20, 20)


async def test_a_storage_failure_fails_the_job_and_refunds(sessions: Sessions) -> None:
    async with make_world(sessions) as world:
        await world.start_user()
        await world.submissions.submit_photo(world.photo())
        world.blobs.fail_next("put", StorageError("S3 down"))  # the result upload
        await world.pool.start()
        await world.delivery.wait_for(failed=1)
        await world.settled()

        assert world.delivery.failures[0].error_code == "storage_error"
        assert await world.balance_and_sum() == (30, 30)


async def expire_leases(sessions: Sessions) -> None:
    async with unit_of_work(sessions) as session:
        await session.execute(
            update(Generation)
            .where(Generation.status == "running")
            .values(lease_until=utcnow() - timedelta(seconds=1))
        )


async def test_an_expired_lease_is_retried_then_failed_and_refunded_after_the_limit(
    sessions: Sessions,
) -> None:
    async with make_world(sessions, workers=0, max_attempts=2) as world:
        await world.start_user()
        await world.submissions.submit_photo(world.photo())
        for attempt in (1, 2):
            async with unit_of_work(sessions) as session:
                job = next(
                    iter(await generations.claim_jobs(session, limit=1, lease_seconds=30)), None
                )
            assert job is not None and job.attempts == attempt
            await expire_leases(sessions)  # the worker "died" holding the lease
            await world.pool.sweep()
            expected = ["queued"] if attempt == 1 else ["failed"]
            assert await world.statuses() == expected

        assert world.delivery.failures[0].error_code == "recovery_gave_up"
        assert await world.ledger_kinds() == ["grant", "charge", "refund"]
        assert await world.balance_and_sum() == (30, 30)


async def test_a_retry_after_a_crash_resends_the_stored_result_without_a_second_model_call(
    sessions: Sessions,
) -> None:
    async with make_world(sessions, max_attempts=3) as world:
        await world.start_user()
        world.delivery.fail_next(DeliveryError("Telegram timed out"))
        await world.pool.start()
        await world.submissions.submit_photo(world.photo())
        await world.delivery.wait_for(delivered=1)
        await world.settled()

        assert len(world.model.requests) == 1
        assert await world.statuses() == ["completed"]
        assert await world.balance_and_sum() == (20, 20)


async def test_a_permanent_delivery_failure_refunds(sessions: Sessions) -> None:
    async with make_world(sessions) as world:
        await world.start_user()
        world.delivery.fail_next(DeliveryError("bot was blocked by the user", permanent=True))
        await world.pool.start()
        await world.submissions.submit_photo(world.photo())
        await world.delivery.wait_for(failed=1)
        await world.settled()

        assert await world.balance_and_sum() == (30, 30)


async def test_avatars_are_listed_newest_first_and_only_to_their_owner(sessions: Sessions) -> None:
    async with make_world(sessions) as world:
        await world.start_user(1)
        await world.start_user(2)
        await world.pool.start()
        ids = []
        for n in (1, 2, 3):
            ids.append(
                (await world.submissions.submit_photo(world.photo(message_id=n))).generation_id
            )
            await world.delivery.wait_for(delivered=n)
            await world.settled()

        newest = await world.gallery.newest(1)
        assert newest is not None
        middle = await world.gallery.turn(1, ids[2], older=True)
        assert middle is not None
        oldest = await world.gallery.turn(1, middle.avatar.generation_id, older=True)
        assert oldest is not None
        assert (newest.avatar.generation_id, newest.index, newest.total) == (ids[2], 0, 3)
        assert (middle.avatar.generation_id, middle.index) == (ids[1], 1)
        assert (oldest.avatar.generation_id, oldest.index, oldest.has_older) == (ids[0], 2, False)
        assert await world.gallery.turn(1, ids[0], older=True) is None
        back = await world.gallery.turn(1, ids[0], older=False)
        assert back is not None and back.avatar.generation_id == ids[1]
        assert await world.gallery.newest(2) is None
        with pytest.raises(NotFound):
            await world.gallery.page(2, ids[0])
        with pytest.raises(NotFound):
            await world.gallery.turn(2, ids[0], older=False)
        with pytest.raises(NotFound):
            await world.gallery.delete(2, ids[0])
        assert len(world.blobs.blobs) == 6


async def test_deleting_an_avatar_removes_the_row_and_both_blobs(sessions: Sessions) -> None:
    async with make_world(sessions) as world:
        await world.start_user()
        await world.pool.start()
        gen_id = (await world.submissions.submit_photo(world.photo())).generation_id
        await world.delivery.wait_for(delivered=1)
        await world.settled()

        assert await world.gallery.delete(1, gen_id) is None  # nothing left to show

        assert world.blobs.blobs == {}
        assert await world.gallery.newest(1) is None
        with pytest.raises(NotFound):
            await world.gallery.delete(1, gen_id)


async def test_stats_show_balance_avatars_and_recent_ledger_lines(sessions: Sessions) -> None:
    async with make_world(sessions) as world:
        await world.start_user()
        await world.pool.start()
        await world.submissions.submit_photo(world.photo())
        await world.delivery.wait_for(delivered=1)
        await world.settled()

        stats = await world.accounts.statement(1)

        assert (stats.balance, stats.cost, stats.avatars) == (20, 10, 1)
        assert stats.last_created is not None
        assert [line.kind for line in stats.recent] == ["charge", "grant"]


async def test_an_unregistered_user_is_refused(sessions: Sessions) -> None:
    async with make_world(sessions, workers=0) as world:
        with pytest.raises(SubmissionRefused):
            await world.submissions.submit_photo(world.photo(user_id=999))
