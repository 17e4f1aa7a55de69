"""The send budget: paced under Telegram's window, essential first, a 429 slows instead of halting."""

from __future__ import annotations

import asyncio
import random
from datetime import timedelta
from typing import Any

import pytest
from telegram.error import RetryAfter

from bot.ratelimit import COSMETIC_SEND, PriorityRateLimiter, counts_as_message
from bot.send_budget import BudgetPolicy, Priority, SendBudget, SendWindow


def most_in_any_window(times: list[float], window: float) -> int:
    times = sorted(times)
    most, first = 0, 0
    for last, at in enumerate(times):
        while times[first] <= at - window:
            first += 1
        most = max(most, last - first + 1)
    return most


def test_telegram_never_sees_more_than_the_limit_in_a_window_whatever_the_jitter() -> None:
    for seed in range(20):
        rng = random.Random(seed)
        window = SendWindow(BudgetPolicy(limit=30, window=1.0))
        now, pending, accepted = 0.0, [], []  # pending: (end, accepted_at)
        for _ in range(400):
            wait = window.delay(now)
            while wait is None or wait > 0:  # let time pass to the next end or free place
                step = min([end for end, _ in pending] + ([now + wait] if wait else []))
                now = max(now, step)
                for done in sorted(p for p in pending if p[0] <= now):
                    pending.remove(done)
                    window.end(done[0])
                wait = window.delay(now)
            window.start(now)
            took = rng.choice([0.005, 0.02, 0.3, 0.9])  # a slow upload now and then
            end = now + took
            pending.append((end, now + rng.random() * took))  # Telegram counts it in between
            accepted.append(pending[-1][1])
        assert most_in_any_window(accepted, 1.0) <= 30, seed


def test_once_half_the_window_is_used_starts_are_spaced_so_requests_travel_alone() -> None:
    window = SendWindow(BudgetPolicy(limit=20, window=1.0))
    for n in range(10):
        window.start(10.0 + n * 0.001)
    last = 10.009

    assert window.spacing == 0.05
    assert window.delay(last) == pytest.approx(window.spacing)
    assert window.delay(last + window.spacing) == 0


def test_with_the_window_nearly_empty_a_send_starts_at_once() -> None:
    window = SendWindow(BudgetPolicy(limit=20, window=1.0))
    window.start(10.0)  # the "⏳" message
    window.end(10.004)

    assert window.delay(10.005) == 0  # its avatar right behind it


def test_a_429_lowers_the_limit_and_clean_sends_earn_it_back_one_by_one() -> None:
    window = SendWindow(BudgetPolicy(limit=20, backoff=0.5, recover_after=3))
    window.start(0.0)
    window.end(0.1, limited=True)
    assert (window.limit, window.limited) == (10, 1)

    for n in range(9):
        window.start(float(n))
        window.end(float(n))
    assert window.limit == 13

    for n in range(100):
        window.start(float(n))
        window.end(float(n))
    assert window.limit == 20  # never above Telegram's


async def test_essential_sends_go_before_cosmetic_ones_that_queued_earlier() -> None:
    budget = SendBudget(BudgetPolicy(limit=1, window=0.05))
    order: list[str] = []

    async def send(name: str, priority: Priority) -> None:
        await budget.acquire(priority)
        order.append(name)
        budget.release()

    await budget.acquire(Priority.ESSENTIAL)  # the window is now spent
    queued = [asyncio.create_task(send(f"delete{n}", Priority.COSMETIC)) for n in range(3)]
    await asyncio.sleep(0)
    queued += [asyncio.create_task(send(f"avatar{n}", Priority.ESSENTIAL)) for n in range(3)]
    await asyncio.sleep(0)
    assert budget.busy()
    budget.release()
    await asyncio.gather(*queued)

    assert order == ["avatar0", "avatar1", "avatar2", "delete0", "delete1", "delete2"]


async def test_deletions_spend_nothing_but_still_wait_behind_essential_sends() -> None:
    budget = SendBudget(BudgetPolicy(limit=1, window=0.05))
    order: list[str] = []

    async def send(name: str, priority: Priority, counted: bool) -> None:
        await budget.acquire(priority, counted=counted)
        order.append(name)
        budget.release(counted=counted)

    await budget.acquire(Priority.ESSENTIAL)
    queued = [asyncio.create_task(send("avatar0", Priority.ESSENTIAL, True))]
    await asyncio.sleep(0)
    queued.append(asyncio.create_task(send("delete", Priority.COSMETIC, False)))
    queued.append(asyncio.create_task(send("avatar1", Priority.ESSENTIAL, True)))
    await asyncio.sleep(0)
    budget.release()
    await asyncio.gather(*queued)
    assert order == ["avatar0", "avatar1", "delete"]

    await send("delete", Priority.COSMETIC, False)  # nothing queued: at once, unspent
    assert budget.window.in_flight == 0


def test_telegram_counts_messages_not_chat_actions_or_deletions() -> None:
    assert counts_as_message("sendPhoto") and counts_as_message("editMessageText")
    assert not counts_as_message("sendChatAction")
    assert not counts_as_message("deleteMessage")


async def test_a_cancelled_waiter_does_not_keep_its_place() -> None:
    budget = SendBudget(BudgetPolicy(limit=1, window=0.05))
    await budget.acquire(Priority.ESSENTIAL)
    gone = asyncio.create_task(budget.acquire(Priority.ESSENTIAL))
    await asyncio.sleep(0)
    gone.cancel()
    budget.release()
    await asyncio.wait_for(budget.acquire(Priority.ESSENTIAL), timeout=5)
    budget.release()

    assert budget.window.in_flight == 0
    assert budget.waiting() == 0


class Recorder:
    def __init__(self) -> None:
        self.calls: list[str] = []
        self.refuse: set[str] = set()  # names answered once with a 429

    def make(self, name: str) -> Any:
        async def call() -> bool:
            if name in self.refuse:
                self.refuse.discard(name)
                raise RetryAfter(timedelta(seconds=1))
            self.calls.append(name)
            return True

        return call


async def send(limiter: PriorityRateLimiter, recorder: Recorder, endpoint: str, name: str) -> Any:
    return await limiter.process_request(
        recorder.make(name), (), {}, endpoint, {"chat_id": 1}, None
    )


@pytest.mark.filterwarnings("ignore:.*retry_after.*:telegram.warnings.PTBDeprecationWarning")
async def test_a_429_is_waited_out_by_its_request_while_the_others_keep_flowing() -> None:
    limiter, recorder = PriorityRateLimiter(per_second=30), Recorder()
    recorder.refuse.add("avatar0")
    first = asyncio.create_task(send(limiter, recorder, "sendPhoto", "avatar0"))
    await asyncio.sleep(0.05)
    others = [send(limiter, recorder, "sendPhoto", f"avatar{n}") for n in range(1, 6)]
    await asyncio.gather(first, *others)

    assert recorder.calls[-1] == "avatar0"  # retried after its retry_after, the rest did not wait
    assert sorted(recorder.calls) == [f"avatar{n}" for n in range(6)]
    assert limiter.limited == 1
    assert limiter.budget.window.limit < 30


async def test_under_saturation_chat_actions_are_skipped() -> None:
    limiter, recorder = PriorityRateLimiter(per_second=2), Recorder()
    avatars = [
        asyncio.create_task(send(limiter, recorder, "sendPhoto", f"avatar{n}")) for n in range(4)
    ]
    await asyncio.sleep(0)
    assert limiter.saturated
    assert await send(limiter, recorder, "sendChatAction", "action") is True
    await asyncio.gather(*avatars)

    assert "action" not in recorder.calls
    assert limiter.skipped == 1


async def test_a_second_of_avatars_on_their_way_counts_as_saturated() -> None:
    limiter = PriorityRateLimiter(per_second=30)
    assert not limiter.saturated
    limiter.coming = lambda: 30  # generations in flight, each to send an avatar

    assert limiter.saturated
    assert await send(limiter, Recorder(), "sendChatAction", "action") is True
    assert limiter.skipped == 1


async def test_requests_without_a_chat_are_not_counted_as_sends() -> None:
    limiter, recorder = PriorityRateLimiter(per_second=1), Recorder()
    for _ in range(3):
        await limiter.process_request(recorder.make("poll"), (), {}, "getUpdates", {}, None)

    assert recorder.calls == ["poll"] * 3
    assert not limiter.saturated


@pytest.mark.filterwarnings("ignore:.*retry_after.*:telegram.warnings.PTBDeprecationWarning")
async def test_a_cosmetic_edit_waits_behind_avatars_and_is_not_retried_after_a_429() -> None:
    limiter, recorder = PriorityRateLimiter(per_second=2), Recorder()
    avatars = [
        asyncio.create_task(send(limiter, recorder, "sendPhoto", f"avatar{n}")) for n in range(3)
    ]
    await asyncio.sleep(0)
    place = asyncio.create_task(
        limiter.process_request(
            recorder.make("place"), (), {}, "editMessageText", {"chat_id": 1}, COSMETIC_SEND
        )
    )
    await asyncio.sleep(0)
    assert limiter.budget.waiting(Priority.COSMETIC) == 1
    await asyncio.gather(*avatars, place)
    assert recorder.calls == ["avatar0", "avatar1", "avatar2", "place"]

    recorder.refuse.add("again")
    with pytest.raises(RetryAfter):
        await limiter.process_request(
            recorder.make("again"), (), {}, "editMessageText", {"chat_id": 1}, COSMETIC_SEND
        )
    assert "again" not in recorder.calls


async def test_broadcast_copies_wait_behind_every_other_send() -> None:
    budget = SendBudget(BudgetPolicy(limit=1, window=0.05))
    order: list[str] = []

    async def send(name: str, priority: Priority) -> None:
        await budget.acquire(priority)
        order.append(name)
        budget.release()

    await budget.acquire(Priority.ESSENTIAL)  # the window is now spent
    queued = [asyncio.create_task(send(f"copy{n}", Priority.BULK)) for n in range(2)]
    await asyncio.sleep(0)
    queued.append(asyncio.create_task(send("edit", Priority.COSMETIC)))
    queued.append(asyncio.create_task(send("avatar", Priority.ESSENTIAL)))
    await asyncio.sleep(0)
    budget.release()
    await asyncio.gather(*queued)

    assert order == ["avatar", "edit", "copy0", "copy1"]


async def test_the_limiter_sends_copy_message_as_bulk() -> None:
    limiter = PriorityRateLimiter(per_second=30)
    seen: list[int] = []
    original = limiter.budget.acquire

    async def spy(priority: Priority, *, counted: bool = True, chat: object = None) -> None:
        seen.append(priority)
        await original(priority, counted=counted)

    limiter.budget.acquire = spy  # type: ignore[method-assign]

    async def callback() -> bool:
        return True

    for endpoint in ("copyMessage", "sendPhoto"):
        await limiter.process_request(callback, (), {}, endpoint, {"chat_id": 5}, None)
    assert seen == [Priority.BULK, Priority.ESSENTIAL]


async def test_one_chat_with_many_waiting_sends_does_not_hold_up_another_chats_answer() -> None:
    budget = SendBudget(BudgetPolicy(limit=1, window=0.02))
    order: list[str] = []

    async def send(name: str, chat: int) -> None:
        await budget.acquire(Priority.ESSENTIAL, chat=chat)
        order.append(name)
        budget.release()

    await budget.acquire(Priority.ESSENTIAL, chat=1)  # the window is now spent
    flood = [asyncio.create_task(send(f"flood{n}", chat=1)) for n in range(6)]
    await asyncio.sleep(0)
    others = [asyncio.create_task(send("help", chat=2)), asyncio.create_task(send("hi", chat=3))]
    await asyncio.sleep(0)
    budget.release()
    await asyncio.gather(*flood, *others)

    # chat 1 had its turn just now: the others' first sends go before its next six
    assert order[:2] == ["help", "hi"]
    assert [name for name in order if name.startswith("flood")] == [f"flood{n}" for n in range(6)]
