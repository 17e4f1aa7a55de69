"""Referrals: /invite, the deep link, and the bonus on the invited user's first avatar."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select

from core.db import unit_of_work
from core.models import LedgerEntry, User
from playground.botapi import FakeUser
from tests.e2e.harness import BotWorld, bot_world, buttons, text_of
from tests.fakes import images

LINK = re.compile(r"https://t\.me/aivenger_test_bot\?start=(ref_[a-z0-9]+)")


@pytest.fixture
async def club(database_url: str, tmp_path: Path) -> AsyncIterator[BotWorld]:
    """A running bot on SQLite and on PostgreSQL."""
    async with bot_world(database_url, tmp_path) as world:
        yield world


async def invite_payload(user: FakeUser) -> str:
    await user.send_text("/invite")
    invite = await user.wait_for(lambda m: "Invite friends" in text_of(m))
    match = LINK.search(text_of(invite))
    assert match is not None, text_of(invite)
    return match.group(1)


async def referral_rows(world: BotWorld) -> list[LedgerEntry]:
    async with unit_of_work(world.services.sessions) as session:
        return list(
            await session.scalars(select(LedgerEntry).where(LedgerEntry.kind == "referral"))
        )


def bonus_messages(user: FakeUser) -> list[str]:
    return [text_of(m) for m in user.messages if "first avatar with your invite" in text_of(m)]


async def test_the_inviter_gets_ten_credits_once_when_the_friend_makes_a_first_avatar(
    club: BotWorld,
) -> None:
    alice = await club.started_user(1, first_name="Alice")
    payload = await invite_payload(alice)
    bob = club.user(2, first_name="Bob")
    await bob.send_text(f"/start {payload}")
    await bob.wait_for(lambda m: "Welcome to AIVenger" in text_of(m))
    assert await club.balance(1) == 30  # joining alone earns nothing

    await club.avatar_after_photo(bob)
    told = await alice.wait_for(lambda m: "first avatar with your invite" in text_of(m), since=0)
    await club.avatar_after_photo(bob)

    assert "Bob made their first avatar" in text_of(told) and "+10 credits" in text_of(told)
    assert "Balance: 40" in text_of(told)
    assert await club.balance(1) == 40 == await club.ledger_sum(1)
    assert [(r.user_id, r.delta, r.idempotency_key) for r in await referral_rows(club)] == [
        (1, 10, "referral:2")
    ]
    assert len(bonus_messages(alice)) == 1
    await alice.send_text("/invite")
    summary = await alice.wait_for(lambda m: "Friends invited" in text_of(m))
    assert "Friends invited: 1 · bonus credits earned: 10" in text_of(summary)
    assert "📨 Share the link" in buttons(summary)


async def test_own_links_and_existing_users_earn_nothing(club: BotWorld) -> None:
    alice = await club.started_user(1, first_name="Alice")
    carol = await club.started_user(3, first_name="Carol")
    payload = await invite_payload(alice)

    await alice.send_text(f"/start {payload}")
    await alice.wait_for(lambda m: "Welcome back" in text_of(m))
    await carol.send_text(f"/start {payload}")
    await carol.wait_for(lambda m: "Welcome back" in text_of(m))
    await club.avatar_after_photo(alice)
    await club.avatar_after_photo(carol)

    assert await referral_rows(club) == []
    assert await club.balance(1) == 20 and await club.balance(3) == 20
    assert bonus_messages(alice) == []
    async with unit_of_work(club.services.sessions) as session:
        referred = await session.scalars(select(User.id).where(User.referred_by.is_not(None)))
        assert list(referred) == []


async def test_two_avatars_finishing_together_pay_the_bonus_once(club: BotWorld) -> None:
    alice = await club.started_user(1, first_name="Alice")
    payload = await invite_payload(alice)
    bob = club.user(2, first_name="Bob")
    await bob.send_text(f"/start {payload}")
    await bob.wait_for(lambda m: "Welcome to AIVenger" in text_of(m))

    club.model.latency = 0.5  # both jobs run at once and complete within moments of each other
    await bob.send_photo(images.jpeg(640, 480))
    await bob.send_photo(images.jpeg(480, 640))
    await bob.wait_for(lambda m: sum(1 for x in bob.messages if x.get("photo")) == 2, timeout=15)
    rows = await club.settled()

    assert [row.status for row in rows] == ["completed", "completed"]
    assert await club.balance(1) == 40 == await club.ledger_sum(1)
    assert len(await referral_rows(club)) == 1
