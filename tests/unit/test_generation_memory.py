"""Generations in flight are bounded by a byte budget: big photos wait, small ones overlap."""

from __future__ import annotations

import asyncio

import pytest

from core.generation_memory import (
    MemoryBoundedModel,
    MemoryBudget,
    generation_footprint,
)
from core.image_model import ImageRequest
from tests.fakes.image_model import FakeImageModel

MB = 1024 * 1024


def request(photo_bytes: int) -> ImageRequest:
    return ImageRequest(prompt="hero", image_jpeg=b"\xff" * photo_bytes, aspect_ratio="1:1")


async def test_calls_beyond_the_budget_wait_until_earlier_ones_answer() -> None:
    model = FakeImageModel()
    bounded = MemoryBoundedModel(model, MemoryBudget(2 * generation_footprint(MB)))
    model.block()
    calls = [asyncio.create_task(bounded.generate(request(MB))) for _ in range(5)]
    await model.wait_in_flight(2)
    await asyncio.sleep(0.05)

    assert model.in_flight == 2  # the third waits for memory, not for the model
    model.release()
    await asyncio.gather(*calls)
    assert model.completed == 5
    assert bounded.budget.in_use == 0


async def test_small_photos_overlap_far_more_than_big_ones() -> None:
    budget = 64 * MB
    small, big = generation_footprint(100_000), generation_footprint(8 * MB)

    assert budget // small >= 19
    assert budget // big == 2


async def test_a_photo_larger_than_the_whole_budget_still_runs_alone() -> None:
    model = FakeImageModel()
    bounded = MemoryBoundedModel(model, MemoryBudget(4 * MB))
    result = await asyncio.wait_for(bounded.generate(request(10 * MB)), timeout=5)

    assert result.content_type == "image/png"
    assert bounded.budget.in_use == 0


async def test_a_failed_or_cancelled_call_gives_its_share_back() -> None:
    model = FakeImageModel()
    model.script(RuntimeError("model down"))
    bounded = MemoryBoundedModel(model, MemoryBudget(generation_footprint(MB)))
    with pytest.raises(RuntimeError):
        await bounded.generate(request(MB))

    model.block()
    running = asyncio.create_task(bounded.generate(request(MB)))
    await model.wait_in_flight(1)
    waiting = asyncio.create_task(bounded.generate(request(MB)))
    await asyncio.sleep(0)
    waiting.cancel()
    running.cancel()
    await asyncio.gather(running, waiting, return_exceptions=True)
    model.release()

    assert bounded.budget.in_use == 0
    await asyncio.wait_for(bounded.generate(request(MB)), timeout=5)
