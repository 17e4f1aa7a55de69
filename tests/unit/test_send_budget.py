"""The send budget: essential traffic first, cosmetic traffic yields, RetryAfter is honoured."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from telegram.error import RetryAfter

from bot.ratelimit import PriorityRateLimiter


class Recorder:
    def __init__(self) -> None:
        self.calls: list[str] = []
        self.fail_first_with: RetryAfter | None = None

    def make(self, name: str) -> Any:
        async def call() -> bool:
            if self.fail_first_with is not None:
                error, self.fail_first_with = self.fail_first_with, None
                raise error
            self.calls.append(name)
            return True

        return call


async def send(
    limiter: PriorityRateLimiter, recorder: Recorder, endpoint: str, name: str
) -> object:
    return await limiter.process_request(
        recorder.make(name), (), {}, endpoint, {"chat_id": 1}, None
    )


async def test_the_budget_caps_the_rate() -> None:
    limiter, recorder = PriorityRateLimiter(per_second=20), Recorder()
    started = time.monotonic()
    await asyncio.gather(*(send(limiter, recorder, "sendMessage", f"m{n}") for n in range(40)))

    assert len(recorder.calls) == 40
    assert time.monotonic() - started >= 0.9  # 20 at once, then 20 more at 20/s


async def test_while_saturated_chat_actions_are_skipped_and_deletions_wait_for_the_backlog() -> (
    None
):
    limiter, recorder = PriorityRateLimiter(per_second=10), Recorder()
    avatars = [
        asyncio.create_task(send(limiter, recorder, "sendPhoto", f"avatar{n}")) for n in range(25)
    ]
    await asyncio.sleep(0.05)
    assert limiter.saturated
    action = await send(limiter, recorder, "sendChatAction", "action")
    deletion = asyncio.create_task(send(limiter, recorder, "deleteMessage", "delete"))
    await asyncio.gather(*avatars, deletion)

    assert action is True
    assert "action" not in recorder.calls
    assert limiter.skipped == 1
    assert recorder.calls.index("delete") >= 15  # not before the backlog fell below 10


async def test_retry_after_is_waited_out_and_the_request_retried() -> None:
    limiter, recorder = PriorityRateLimiter(per_second=30), Recorder()
    recorder.fail_first_with = RetryAfter(1)
    started = time.monotonic()
    assert await send(limiter, recorder, "sendPhoto", "avatar") is True

    assert recorder.calls == ["avatar"]
    assert time.monotonic() - started >= 1.0


async def test_requests_without_a_chat_are_not_counted_as_sends() -> None:
    limiter, recorder = PriorityRateLimiter(per_second=1), Recorder()
    await limiter.process_request(recorder.make("poll"), (), {}, "getUpdates", {}, None)

    assert recorder.calls == ["poll"]
    assert not limiter.saturated
