"""After a send: a delivered or maybe-delivered avatar is never refunded, never re-sent in a loop.

`sendPhoto` has no idempotency key, so an answer that comes late, or not at all, leaves the
bot not knowing whether the user has the avatar. Such an avatar is *maybe delivered*: the job
completes without a file_id (the gallery uploads it from the blob store) and keeps its charge.
A database error after a confirmed send retries the completion instead of failing the job.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.delivery import TelegramDelivery
from core.delivery_port import FinishedAvatar
from tests.e2e.harness import bot_world
from tests.fakes import images
from tests.fakes.delivery import FakeDelivery
from tests.integration.service_world import World, make_world
from tests.robustness.test_stale_worker import claim, expire_leases
from tests.robustness.userview import REFUNDED, avatars, ledger_keys, money, saying

Sessions = async_sessionmaker[AsyncSession]


@contextmanager
def completion_fails(engine: AsyncEngine, times: int = 1) -> Iterator[list[int]]:
    """The database refuses the UPDATE that turns a generation `completed`, `times` times."""
    failures: list[int] = []

    def refuse(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        values = list(parameters.values() if isinstance(parameters, dict) else parameters or ())
        completing = statement.lstrip().upper().startswith("UPDATE GENERATIONS")
        if completing and "completed" in values and len(failures) < times:
            failures.append(1)
            raise OperationalError(statement, parameters, Exception("connection reset"))

    event.listen(engine.sync_engine, "before_cursor_execute", refuse)
    try:
        yield failures
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", refuse)


async def test_a_database_error_completing_a_sent_avatar_is_retried_never_refunded(
    engine: AsyncEngine, sessions: Sessions
) -> None:
    async with make_world(sessions, workers=1) as world:
        await world.start_user()
        await world.pool.start()
        with completion_fails(engine, times=2) as failures:
            await world.submissions.submit_photo(world.photo())
            assert await world.settled(timeout=20) == ["completed"]

        assert len(failures) == 2
        assert len(world.delivery.delivered) == 1
        assert world.delivery.failures == []
        assert await world.balance_and_sum() == (20, 20)
        assert await world.ledger_kinds() == ["grant", "charge"]


class HangingDelivery(FakeDelivery):
    """Telegram took the photo; the process dies before the answer arrives."""

    def __init__(self) -> None:
        super().__init__()
        self.sending = asyncio.Event()

    async def deliver(self, avatar: FinishedAvatar) -> Any:
        self.sending.set()
        await asyncio.Event().wait()


async def test_a_job_that_died_while_sending_on_its_last_attempt_is_not_refunded(
    sessions: Sessions,
) -> None:
    async with make_world(sessions, workers=0, max_attempts=1) as world:
        world.delivery = world.runner._delivery = HangingDelivery()  # type: ignore[assignment]
        await world.start_user()
        await world.submissions.submit_photo(world.photo())
        job = await claim(world)
        run = asyncio.create_task(world.runner.run(job))
        await asyncio.wait_for(world.delivery.sending.wait(), 10)  # type: ignore[attr-defined]
        run.cancel()  # the process is gone mid-send: no code of it runs any more
        await asyncio.gather(run, return_exceptions=True)

        await expire_leases(world)
        await world.pool.sweep()

        assert await world.statuses() == ["completed"]
        assert world.delivery.failures == [], "told 'refunded' about an avatar they may have"
        assert await world.ledger_kinds() == ["grant", "charge"]


class DiesMidSend(FakeDelivery):
    """The first `cut` sends go out and the process dies before each answer; later ones work."""

    def __init__(self, cut: int) -> None:
        super().__init__()
        self.cut = cut
        self.sending = asyncio.Event()
        self.sends: list[FinishedAvatar] = []

    async def deliver(self, avatar: FinishedAvatar) -> Any:
        self.sends.append(avatar)
        if len(self.sends) <= self.cut:
            self.sending.set()
            await asyncio.Event().wait()
        return await super().deliver(avatar)


async def crash_mid_send(world: World, delivery: DiesMidSend) -> None:
    """Run the queued job until its send is in flight, then kill the process there."""
    delivery.sending.clear()
    run = asyncio.create_task(world.runner.run(await claim(world)))
    await asyncio.wait_for(delivery.sending.wait(), 10)
    run.cancel()  # the process is gone mid-send: the photo may be with the user, or not
    await asyncio.gather(run, return_exceptions=True)
    await expire_leases(world)
    await world.pool.sweep()  # attempts left: back to the queue


async def test_a_send_cut_off_by_a_crash_is_sent_once_more_labelled_as_a_resend(
    sessions: Sessions,
) -> None:
    async with make_world(sessions, workers=0, max_attempts=3) as world:
        world.delivery = delivery = DiesMidSend(cut=1)
        world.runner._delivery = world.runner._sending._delivery = delivery
        await world.start_user(user_id=7)
        await world.submissions.submit_photo(world.photo(user_id=7))
        await crash_mid_send(world, delivery)
        await world.runner.run(await claim(world))

        assert [avatar.resent for avatar in delivery.sends] == [False, True]
        assert len(delivery.delivered) == 1 and delivery.in_doubt == []
        assert await world.statuses() == ["completed"]
        assert delivery.failures == []
        assert await world.ledger_kinds(7) == ["grant", "charge"]


async def test_when_the_resend_is_cut_off_too_no_third_copy_goes_out_and_the_user_is_told(
    sessions: Sessions,
) -> None:
    async with make_world(sessions, workers=0, max_attempts=3) as world:
        world.delivery = delivery = DiesMidSend(cut=2)
        world.runner._delivery = world.runner._sending._delivery = delivery
        await world.start_user(user_id=7)
        await world.submissions.submit_photo(world.photo(user_id=7))
        await crash_mid_send(world, delivery)
        await crash_mid_send(world, delivery)
        await world.runner.run(await claim(world))

        assert len(delivery.sends) == 2, "a third copy was sent"
        assert delivery.in_doubt == [7], "not told where the avatar is"
        assert await world.statuses() == ["completed"]
        assert delivery.failures == []
        assert await world.ledger_kinds(7) == ["grant", "charge"]


async def test_a_photo_answered_after_the_default_read_timeout_is_one_avatar_no_refund(
    database_url: str, tmp_path: Path
) -> None:
    """PTB's default read timeout is 5 s; Telegram can take longer to answer an upload."""
    async with bot_world(database_url, tmp_path) as world:
        ada = await world.started_user(1)
        answer = world.emu.hold("sendPhoto", after=True)
        await ada.send_photo(images.jpeg())
        await answer.arrived()
        await asyncio.sleep(7)  # the photo is in the chat; its answer is late
        answer.release()
        rows = await world.settled(timeout=40)

        assert [row.status for row in rows] == ["completed"]
        assert len(avatars(ada)) == 1, "the avatar was sent again"
        assert saying(ada, REFUNDED) == []
        assert await money(world, 1) == (20, 20)
        assert not any(key.startswith("refund:") for key in await ledger_keys(world, 1))


async def test_a_send_whose_answer_never_comes_is_maybe_delivered_not_refunded(
    database_url: str, tmp_path: Path
) -> None:
    async with bot_world(database_url, tmp_path) as world:
        world.services.runner._delivery = TelegramDelivery(  # type: ignore[attr-defined]
            world.app.bot, media_read_timeout=1.0
        )
        ada = await world.started_user(1)
        answer = world.emu.hold("sendPhoto", after=True)
        await ada.send_photo(images.jpeg())
        await answer.arrived()
        rows = await world.settled(timeout=30)
        answer.release()

        assert [(row.status, row.delivery, row.telegram_file_id) for row in rows] == [
            ("completed", "unconfirmed", None)
        ]
        assert answer.arrivals == 1, "re-sent after a timeout"
        assert len(avatars(ada)) == 1
        assert saying(ada, REFUNDED) == []
        assert await money(world, 1) == (20, 20)
