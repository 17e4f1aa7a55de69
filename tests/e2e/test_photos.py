"""Photos and image files, as a user sends them."""

from __future__ import annotations

import asyncio
import gc
import time

from core.image_model import ImageRequest
from tests.e2e.harness import BotWorld, buttons, is_avatar, text_of
from tests.fakes import images
from tests.fakes.openrouter import Outcome


async def test_an_image_document_becomes_an_avatar(world: BotWorld) -> None:
    user = await world.started_user(1)
    await user.send_document(images.png(800, 600), file_name="me.png", mime_type="image/png")
    avatar = await user.wait_for(is_avatar)

    assert "20 credits left" in text_of(avatar)
    assert len(world.model.requests) == 1


async def test_the_largest_photo_size_is_downloaded(world: BotWorld) -> None:
    user = await world.started_user(1)
    photo = await user.send_photo(images.jpeg(1280, 960))
    await user.wait_for(is_avatar)

    largest = photo["photo"][-1]["file_id"]
    assert [call.params["file_id"] for call in world.emu.calls("getFile")] == [largest]
    assert len(world.emu.downloads) == 1


async def test_a_caption_reaches_the_prompt(world: BotWorld) -> None:
    user = await world.started_user(1)
    await world.avatar_after_photo(user, caption="red cape, flying")

    assert "red cape, flying" in world.model.prompts[0]


async def test_bad_files_get_a_clear_reply_and_cost_nothing(world: BotWorld) -> None:
    user = await world.started_user(1)
    cases = [
        (images.pdf(), "doc.pdf", "application/pdf", "not a photo I can use"),
        (images.random_bytes(), "x.jpg", "image/jpeg", "not a photo I can use"),
        (images.truncated_jpeg(), "cut.jpg", "image/jpeg", "seems damaged"),
        (images.decompression_bomb(), "bomb.png", "image/png", "far too large in pixels"),
    ]
    for data, name, mime, expected in cases:
        sent = await user.send_document(data, file_name=name, mime_type=mime)
        await user.wait_for(
            lambda m, after=sent["message_id"], want=expected: (
                m["message_id"] > after and want in text_of(m)
            )
        )

    assert world.model.requests == []
    assert await world.balance(1) == 30 == await world.ledger_sum(1)
    assert await world.generations() == []


async def test_insufficient_credits_get_a_reply_with_a_buy_button_and_no_model_call(
    world: BotWorld,
) -> None:
    user = await world.started_user(1)
    for _ in range(3):
        await world.avatar_after_photo(user)
    await user.send_photo(images.jpeg())
    refusal = await user.wait_for(lambda m: "Not enough credits" in text_of(m))

    assert "💳 Buy credits" in buttons(refusal)
    assert len(world.model.requests) == 3
    assert await world.balance(1) == 0 == await world.ledger_sum(1)


async def test_a_model_failure_says_the_credits_were_refunded(world: BotWorld) -> None:
    user = await world.started_user(1)
    world.model.script(Outcome.refusal("IMAGE_SAFETY"))
    await user.send_photo(images.jpeg())
    failure = await user.wait_for(lambda m: "refunded" in text_of(m))
    await world.settled()

    assert "declined this photo" in text_of(failure)
    assert "balance: 30" in text_of(failure)
    assert not any(is_avatar(m) for m in user.messages)
    assert await world.balance(1) == 30 == await world.ledger_sum(1)


async def test_an_edited_caption_does_not_start_a_generation(world: BotWorld) -> None:
    user = await world.started_user(1)
    photo = await user.send_photo(images.jpeg(), caption="first")
    await user.wait_for(is_avatar)
    await world.settled()
    await user.edit_message(photo, caption="make it blue")
    await asyncio.sleep(0.5)
    await world.settled()

    assert len(world.model.requests) == 1
    assert await world.balance(1) == 20


async def test_while_the_model_works_the_bot_keeps_no_copy_of_the_photo(world: BotWorld) -> None:
    """The request body carries the photo to the model; no job, budget or adapter frame keeps
    the request (and its photos) as well while the model works: a burst has hundreds waiting."""

    def requests_alive() -> set[int]:
        gc.collect()  # only what something still refers to
        return {id(o) for o in gc.get_objects() if isinstance(o, ImageRequest)}

    user = await world.started_user(1)
    world.model.latency = 1.0
    before = requests_alive()  # whatever earlier tests in this process left behind
    await user.send_photo(images.jpeg(1280, 960))
    while not world.model.requests:  # the model has the photo and is working on it
        await asyncio.sleep(0.01)

    assert requests_alive() - before == set()
    assert "20 credits left" in text_of(await user.wait_for(is_avatar))


async def test_a_slow_generation_does_not_delay_another_users_command(world: BotWorld) -> None:
    ada = await world.started_user(1)
    bob = await world.started_user(2)
    world.model.latency = 5.0
    await ada.send_photo(images.jpeg())
    await ada.wait_for(lambda m: "Creating your superhero" in text_of(m))
    await asyncio.sleep(0.3)  # the model call is under way

    started = time.monotonic()
    await bob.send_text("/credits")
    await bob.wait_for(lambda m: "Balance" in text_of(m), timeout=5)
    answered_in = time.monotonic() - started

    assert answered_in < 1.0
    assert not any(is_avatar(m) for m in ada.messages)  # still generating
    await ada.wait_for(is_avatar, timeout=15)


def _chat_traffic(world: BotWorld) -> list[str]:
    """The bot's visible steps in the chat, in the order Telegram received them."""
    shown = {"sendChatAction": "action", "sendMessage": "status", "sendPhoto": "avatar"}
    return [shown[call.method] for call in world.emu.calls() if call.method in shown]


async def test_a_model_that_answers_at_once_needs_no_second_working_indicator(
    world: BotWorld,
) -> None:
    user = await world.started_user(1)
    before = len(world.emu.calls())
    await world.avatar_after_photo(user)

    traffic = [c.method for c in world.emu.calls()[before:]]
    assert traffic.count("sendChatAction") == 1  # the intake's "sending a photo…"
    assert traffic.count("sendPhoto") == 1


async def test_while_the_model_works_the_indicator_shows_after_the_status_message(
    world: BotWorld,
) -> None:
    """Telegram clears a chat action when the bot's next message arrives: the job's
    "sending a photo…" comes after "⏳ Creating…", where nothing wipes it."""
    world.model.latency = 2.0
    user = await world.started_user(1)
    await world.avatar_after_photo(user)

    traffic = _chat_traffic(world)
    status = traffic.index("status", traffic.index("action"))
    assert "action" in traffic[status : traffic.index("avatar")]


async def test_under_a_send_backlog_the_avatar_is_the_first_answer(world: BotWorld) -> None:
    from bot.ratelimit import PriorityRateLimiter
    from bot.send_budget import Priority

    user = await world.started_user(1)
    limiter = world.app.bot.rate_limiter
    assert isinstance(limiter, PriorityRateLimiter)
    limiter.budget._waiting[Priority.ESSENTIAL] += 1000  # as if a burst had queued 1000 sends
    try:
        await user.send_photo(images.jpeg())
        await user.wait_for(is_avatar)
    finally:
        limiter.budget._waiting[Priority.ESSENTIAL] -= 1000

    assert not any("Creating your superhero" in text_of(m) for m in user.messages)
    assert world.emu.calls("sendChatAction") == []


async def test_a_status_message_telegram_refuses_does_not_stop_the_photo(world: BotWorld) -> None:
    user = await world.started_user(1)
    world.emu.fail_next("sendMessage", times=1, status=500)  # the "⏳ Creating…" message
    await user.send_photo(images.jpeg())
    avatar = await user.wait_for(is_avatar, timeout=20)

    assert "20 credits left" in text_of(avatar)
    assert await world.balance(1) == 20 == await world.ledger_sum(1)


async def test_one_failed_download_is_tried_again_and_the_avatar_comes(world: BotWorld) -> None:
    ada = await world.started_user(1)
    world.emu.fail_next("getFile", status=502)  # one Bad Gateway from Telegram

    await ada.send_photo(images.jpeg())
    await ada.wait_for(is_avatar)

    assert not [m for m in ada.messages if "couldn't fetch your photo" in text_of(m)]
    assert await world.balance(1) == 20 == await world.ledger_sum(1)


async def test_a_download_that_keeps_failing_is_declined_and_costs_nothing(
    world: BotWorld,
) -> None:
    ada = await world.started_user(1)
    world.emu.fail_next("getFile", times=2, status=502)

    await ada.send_photo(images.jpeg())
    await ada.wait_for(lambda m: "couldn't fetch your photo" in text_of(m))
    await world.settled()

    assert not [m for m in ada.messages if is_avatar(m)] and world.model.requests == []
    assert await world.balance(1) == 30 == await world.ledger_sum(1)
