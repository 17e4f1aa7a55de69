"""A database pool with no free connection makes a job wait its turn, never fail or refund."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core import claims
from core.db import PoolTimeout
from tests.integration.service_world import make_world

Sessions = async_sessionmaker[AsyncSession]


async def test_a_job_whose_query_finds_the_pool_exhausted_is_requeued_not_failed(
    sessions: Sessions, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = claims.begin_send
    busy = {"left": 1}

    async def exhausted_once(*args: Any, **kwargs: Any) -> claims.Sending | None:
        if busy["left"]:
            busy["left"] -= 1
            raise PoolTimeout("QueuePool limit of size 1 overflow 0 reached")
        return await real(*args, **kwargs)

    monkeypatch.setattr(claims, "begin_send", exhausted_once)
    async with make_world(sessions, max_attempts=1) as world:
        await world.start_user()
        await world.pool.start()
        await world.submissions.submit_photo(world.photo())
        await world.delivery.wait_for(delivered=1)
        await world.settled()

        assert busy["left"] == 0
        assert await world.statuses() == ["completed"]
        assert world.delivery.failures == []
        assert await world.ledger_kinds() == ["grant", "charge"]
        assert await world.balance_and_sum() == (20, 20)
