"""A stop that asks once can wait for ever: a task may lose the cancellation (a session's
rollback raising in place of it, Python 3.11's wait_for); `cancel_and_wait` asks again."""

from __future__ import annotations

import asyncio

from core.task_stopping import cancel_and_wait


async def test_a_task_that_loses_the_first_cancellation_is_still_stopped() -> None:
    rounds = 0

    async def loop_that_carries_on() -> None:
        nonlocal rounds
        while True:
            try:
                await asyncio.sleep(10)
            except asyncio.CancelledError:
                rounds += 1
                if rounds == 1:
                    continue  # as when a rollback's error replaced it and `except` took it
                raise

    task = asyncio.create_task(loop_that_carries_on())
    await asyncio.sleep(0)

    await asyncio.wait_for(cancel_and_wait(task), timeout=10)

    assert task.cancelled() and rounds == 2


async def test_finished_failed_and_missing_tasks_are_fine() -> None:
    async def fails() -> None:
        raise RuntimeError("reported by the task itself")

    done = asyncio.create_task(asyncio.sleep(0))
    failed = asyncio.create_task(fails())
    await asyncio.sleep(0.01)

    await cancel_and_wait(done, failed, None)

    assert done.done() and failed.done()
