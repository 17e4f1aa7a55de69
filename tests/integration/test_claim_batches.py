"""A burst's queue is claimed in batches, and a drained queue is not claimed from again per
finished job: the dispatcher's transactions are counted with SQLAlchemy's own events."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from tests.integration.service_world import make_world

Sessions = async_sessionmaker[AsyncSession]


class DispatcherTransactions:
    """Each transaction the dispatcher task ran, as its statements."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.finished: list[list[str]] = []
        self._engine = engine.sync_engine
        event.listen(self._engine, "begin", self._begin)
        event.listen(self._engine, "before_cursor_execute", self._statement)
        event.listen(self._engine, "commit", self._end)

    def close(self) -> None:
        event.remove(self._engine, "begin", self._begin)
        event.remove(self._engine, "before_cursor_execute", self._statement)
        event.remove(self._engine, "commit", self._end)

    @staticmethod
    def _ours() -> bool:
        task = asyncio.current_task()
        return task is not None and task.get_name() == "dispatcher"

    def _begin(self, connection: Any) -> None:
        connection.info["dispatcher"] = [] if self._ours() else None

    def _statement(self, connection: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements = connection.info.get("dispatcher")
        if statements is not None and not statement.startswith("BEGIN"):
            statements.append(statement)

    def _end(self, connection: Any) -> None:
        statements = connection.info.pop("dispatcher", None)
        if statements is not None:
            self.finished.append(statements)

    @property
    def claiming(self) -> list[list[str]]:
        return [tx for tx in self.finished if any(s.startswith("UPDATE") for s in tx)]


async def test_eight_queued_photos_are_claimed_in_one_transaction_and_then_no_claim_per_job(
    sessions: Sessions,
) -> None:
    async with make_world(sessions, workers=8, poll_interval=3600) as world:
        for user_id in range(1, 9):
            await world.start_user(user_id)
            await world.submissions.submit_photo(world.photo(user_id))
        engine = sessions.kw["bind"]
        counted = DispatcherTransactions(engine)
        try:
            await world.pool.start()
            await world.delivery.wait_for(delivered=8)
            assert await world.settled() == ["completed"] * 8
            await asyncio.sleep(0.3)  # a claim per finished job would show up here
        finally:
            counted.close()

    assert len(counted.claiming) == 1
    # The full batch looked once more when a slot freed (empty), then waited to be woken.
    assert len(counted.finished) == 2, counted.finished
