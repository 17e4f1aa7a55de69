"""A first user session, end to end."""

from __future__ import annotations

from tests.e2e.harness import BotWorld, is_avatar, text_of


async def test_start_grants_thirty_credits_once(world: BotWorld) -> None:
    user = world.user(1001, first_name="Ada")
    await user.send_text("/start")
    welcome = await user.wait_for(lambda m: "Welcome to AIVenger" in text_of(m))
    await user.send_text("/start")
    again = await user.wait_for(lambda m: "Welcome back" in text_of(m))

    assert "30 free credits" in text_of(welcome)
    assert "30 credits" in text_of(again)
    assert await world.balance(1001) == 30 == await world.ledger_sum(1001)


async def test_a_photo_becomes_an_avatar_photo_and_costs_ten(world: BotWorld) -> None:
    user = await world.started_user(1001)
    avatar = await world.avatar_after_photo(user)

    assert is_avatar(avatar)
    assert "20 credits left" in text_of(avatar)
    assert await world.balance(1001) == 20
    print("\n".join(world.emu.transcript(1001)))
