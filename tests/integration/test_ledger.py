"""The ledger on a SQLite file and on PostgreSQL: credits move once, never below zero."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core import ledger, users
from core.db import unit_of_work
from core.errors import InsufficientCredits
from core.models import LedgerEntry, User

Sessions = async_sessionmaker[AsyncSession]


async def register(sessions: Sessions, user_id: int = 1, free: int = 30) -> users.Registration:
    async with unit_of_work(sessions) as session:
        return await users.register(
            session,
            profile=users.Profile(user_id=user_id, first_name=f"user{user_id}"),
            free_credits=free,
        )


async def balance_and_sum(sessions: Sessions, user_id: int) -> tuple[int, int]:
    async with unit_of_work(sessions) as session:
        return await ledger.balance(session, user_id), await ledger.ledger_sum(session, user_id)


async def test_the_welcome_grant_is_given_once_ever(sessions: Sessions) -> None:
    first = await register(sessions)
    again = await register(sessions)

    assert (first.created, first.granted, first.user.credits) == (True, 30, 30)
    assert (again.created, again.granted, again.user.credits) == (False, 0, 30)
    assert await balance_and_sum(sessions, 1) == (30, 30)


async def test_concurrent_first_starts_grant_once(sessions: Sessions) -> None:
    results = await asyncio.gather(*(register(sessions, 7) for _ in range(10)))

    assert sum(r.granted for r in results) == 30
    assert await balance_and_sum(sessions, 7) == (30, 30)


async def test_a_charge_takes_credits_and_writes_one_ledger_row(sessions: Sessions) -> None:
    await register(sessions)
    async with unit_of_work(sessions) as session:
        left = await ledger.charge(session, user_id=1, cost=10, key="charge:g1", reference="g1")

    assert left == 20
    assert await balance_and_sum(sessions, 1) == (20, 20)


async def test_a_charge_beyond_the_balance_is_refused_and_changes_nothing(
    sessions: Sessions,
) -> None:
    await register(sessions, free=5)
    with pytest.raises(InsufficientCredits) as refused:
        async with unit_of_work(sessions) as session:
            await ledger.charge(session, user_id=1, cost=10, key="charge:g1")

    assert (refused.value.balance, refused.value.cost) == (5, 10)
    assert await balance_and_sum(sessions, 1) == (5, 5)


async def test_fifty_concurrent_charges_with_thirty_credits_let_exactly_three_through(
    sessions: Sessions,
) -> None:
    await register(sessions)

    async def attempt(n: int) -> bool:
        try:
            async with unit_of_work(sessions) as session:
                await ledger.charge(session, user_id=1, cost=10, key=f"charge:{n}")
            return True
        except InsufficientCredits:
            return False

    outcomes = await asyncio.gather(*(attempt(n) for n in range(50)))

    assert outcomes.count(True) == 3
    assert await balance_and_sum(sessions, 1) == (0, 0)


async def test_a_refund_with_the_same_key_is_applied_once(sessions: Sessions) -> None:
    await register(sessions)
    async with unit_of_work(sessions) as session:
        await ledger.charge(session, user_id=1, cost=10, key="charge:g1")

    async def refund() -> bool:
        async with unit_of_work(sessions) as session:
            return await ledger.credit(
                session, user_id=1, amount=10, kind=ledger.LedgerKind.REFUND, key="refund:g1"
            )

    applied = await asyncio.gather(*(refund() for _ in range(5)))

    assert applied.count(True) == 1
    assert await balance_and_sum(sessions, 1) == (30, 30)


async def test_purchases_and_admin_grants_are_idempotent_per_key(sessions: Sessions) -> None:
    await register(sessions)
    for _ in range(3):
        async with unit_of_work(sessions) as session:
            await ledger.credit(
                session,
                user_id=1,
                amount=50,
                kind=ledger.LedgerKind.PURCHASE,
                key="purchase:charge-abc",
                reference="p50",
            )
            await ledger.credit(
                session, user_id=1, amount=5, kind=ledger.LedgerKind.ADMIN, key="admin:msg-9"
            )

    assert await balance_and_sum(sessions, 1) == (85, 85)


async def test_debit_up_to_never_makes_a_balance_negative(sessions: Sessions) -> None:
    await register(sessions, free=30)
    async with unit_of_work(sessions) as session:
        taken = await ledger.debit_up_to(
            session,
            user_id=1,
            amount=50,
            kind=ledger.LedgerKind.PURCHASE_REFUND,
            key="purchase_refund:x",
        )
    async with unit_of_work(sessions) as session:
        again = await ledger.debit_up_to(
            session,
            user_id=1,
            amount=50,
            kind=ledger.LedgerKind.PURCHASE_REFUND,
            key="purchase_refund:x",
        )

    assert (taken, again) == (30, None)
    assert await balance_and_sum(sessions, 1) == (0, 0)


async def test_history_lists_newest_first(sessions: Sessions) -> None:
    await register(sessions)
    async with unit_of_work(sessions) as session:
        await ledger.charge(session, user_id=1, cost=10, key="charge:g1", reference="g1")
    async with unit_of_work(sessions) as session:
        await ledger.credit(
            session, user_id=1, amount=10, kind=ledger.LedgerKind.REFUND, key="refund:g1"
        )
    async with unit_of_work(sessions) as session:
        lines = await ledger.history(session, 1)

    assert [(line.kind, line.delta) for line in lines] == [
        ("refund", 10),
        ("charge", -10),
        ("grant", 30),
    ]


async def test_every_balance_equals_its_ledger_sum_across_many_users(sessions: Sessions) -> None:
    for user_id in range(1, 6):
        await register(sessions, user_id)
        async with unit_of_work(sessions) as session:
            await ledger.charge(session, user_id=user_id, cost=user_id, key=f"c:{user_id}")
    async with unit_of_work(sessions) as session:
        sums = dict(
            (
                await session.execute(
                    select(LedgerEntry.user_id, func.sum(LedgerEntry.delta)).group_by(
                        LedgerEntry.user_id
                    )
                )
            ).all()
        )
        balances = dict((await session.execute(select(User.id, User.credits))).all())

    assert balances == sums == {1: 29, 2: 28, 3: 27, 4: 26, 5: 25}
