"""Everything a user can send that is not a usable image: no charge, no model call, exactly one
clear reply each, and the bot keeps answering afterwards."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from playground.botapi import FakeUser
from tests.db_fixtures import sqlite_url
from tests.e2e.harness import bot_world, text_of
from tests.fakes import images
from tests.robustness.userview import money

PHOTOS_ONLY = "I only work with photos"
NOT_A_PHOTO = "not a photo I can use"
DAMAGED = "seems damaged"
TOO_MANY_PIXELS = "far too large in pixels"
TOO_BIG = "too big (the limit is 20 MB)"
ANIMATION = "Animations can't be transformed"

Send = Callable[[FakeUser], Awaitable[dict[str, Any]]]


def document(data: bytes, name: str, mime: str, size: int | None = None) -> Send:
    return lambda user: user.send_document(data, file_name=name, mime_type=mime, file_size=size)


CASES: list[tuple[str, Send, str]] = [
    ("text", lambda u: u.send_text("make me a superhero please"), PHOTOS_ONLY),
    ("sticker", lambda u: u.send_sticker(), PHOTOS_ONLY),
    ("video", lambda u: u.send_video(), PHOTOS_ONLY),
    ("video note", lambda u: u.send_video_note(), PHOTOS_ONLY),
    ("voice", lambda u: u.send_voice(), PHOTOS_ONLY),
    ("audio", lambda u: u.send_audio(title="theme"), PHOTOS_ONLY),
    ("contact", lambda u: u.send_contact(), PHOTOS_ONLY),
    ("location", lambda u: u.send_location(), PHOTOS_ONLY),
    ("GIF animation", lambda u: u.send_animation(images.animated_gif()), PHOTOS_ONLY),
    ("GIF file", document(images.animated_gif(), "loop.gif", "image/gif"), NOT_A_PHOTO),
    ("animated WebP", document(images.animated_webp(), "loop.webp", "image/webp"), ANIMATION),
    ("PDF", document(images.pdf(), "passport.pdf", "application/pdf"), NOT_A_PHOTO),
    ("noise named .jpg", document(images.random_bytes(), "me.jpg", "image/jpeg"), NOT_A_PHOTO),
    ("truncated JPEG", document(images.truncated_jpeg(), "cut.jpg", "image/jpeg"), DAMAGED),
    ("corrupt PNG", document(images.corrupt_png(), "bad.png", "image/png"), DAMAGED),
    ("bomb", document(images.decompression_bomb(), "bomb.png", "image/png"), TOO_MANY_PIXELS),
    ("60 MP", document(images.huge_dimensions(), "scan.png", "image/png"), TOO_MANY_PIXELS),
    ("25 MB", document(b"\xff\xd8\xff", "big.jpg", "image/jpeg", 25 * 1024 * 1024), TOO_BIG),
]


async def test_every_unusable_input_gets_one_clear_reply_and_costs_nothing(
    tmp_path: Path,
) -> None:
    async with bot_world(await sqlite_url(tmp_path), tmp_path, rate_limit_per_minute=100) as world:
        ada = await world.started_user(1)
        sent_ids, downloads = [], {}
        for name, send, expected in CASES:
            before = len(world.emu.calls("getFile"))
            sent = await send(ada)
            sent_ids.append(sent["message_id"])
            await ada.wait_for(lambda m, want=expected: want in text_of(m))
            downloads[name] = len(world.emu.calls("getFile")) - before
        await asyncio.sleep(0.5)  # room for any second reply that should not come

        replies = _replies_after_each(ada, sent_ids)
        for (name, _, expected), answer in zip(CASES, replies, strict=True):
            assert len(answer) == 1, f"{name}: {answer}"
            assert expected in answer[0], f"{name}: {answer[0]}"
        assert downloads["25 MB"] == 0  # refused by its declared size, never downloaded
        assert world.model.requests == []
        assert await world.generations() == []

        await ada.send_text("/credits")
        summary = await ada.wait_for(lambda m: "Balance" in text_of(m))
        assert "Balance: 30 credits" in text_of(summary)
        assert await money(world, 1) == (30, 30)


def _replies_after_each(user: FakeUser, sent_ids: list[int]) -> list[list[str]]:
    """The bot's messages between each input and the next, as they read now."""
    bounds = [*sent_ids, 10**9]
    return [
        [text_of(m) for m in user.messages if low < m["message_id"] < high]
        for low, high in itertools.pairwise(bounds)
    ]
