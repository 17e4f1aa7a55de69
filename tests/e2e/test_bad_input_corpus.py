"""The bad-input corpus at the level a user sees (issue 13), on SQLite and PostgreSQL.

Each case is one fresh user doing one odd thing, all at once, while a group and a channel
post at the bot: every case is answered once
and clearly (or met with silence where a Telegram user expects it: edits, button presses),
nothing is charged unless an avatar is made (balance == Σ ledger, one charge per avatar),
and a bystander's /help is answered meanwhile.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select

from core.db import unit_of_work
from core.models import LedgerEntry
from playground.botapi import FakeUser
from tests.e2e.harness import BotWorld, bot_world, is_avatar, text_of
from tests.fakes import images

Act = Callable[[FakeUser], Awaitable[object]]
HTML_NAME = "<b>Ada</b> & <i>co"
ZERO_WIDTH_RTL = "\u200b\u200c\u200d\u2060\u200f\u202e\u2066evil\u2069"
OPEN_ENDED = 32 * "0f"  # a generation id that is nobody's
BYSTANDER_BOUND = 5.0  # generous: a bound, not a benchmark


@dataclass(frozen=True)
class Case:
    name: str
    act: Act
    answers: int = 1  # bot messages after the welcome
    avatars: int = 0
    presses: int = 0  # callback queries that must be answered


def document(data: bytes, name: str, mime: str | None) -> Act:
    return lambda u: u.send_document(data, file_name=name, mime_type=mime)


def photo(data: bytes, caption: str | None = None) -> Act:
    return lambda u: u.send_photo(data, caption)


async def edited(user: FakeUser) -> None:
    sent = await user.send_text("hello")
    await user.wait_for(lambda m: "photos" in text_of(m))
    await user.edit_message(sent, text="hello, edited")


async def ten_at_once(user: FakeUser) -> None:
    for n in range(10):
        await user.send_photo(images.jpeg(640, 480, (20 * n, 90, 160)))


def presses(*datas: str) -> Act:
    async def press_all(user: FakeUser) -> None:
        await user.send_text("/credits")
        shown = await user.wait_for(lambda m: "credits" in text_of(m).lower())
        for data in datas:
            await user.press(shown, data)

    return press_all


CALLBACK_SHAPES = (
    "", ":", "z:1", "p:" + "a" * 70, "g:" + "x" * 62, "p:ада", "s:🦸", f"y:{OPEN_ENDED}",
    f"f:{OPEN_ENDED}", f"a:{OPEN_ENDED}", "r:1", "v:1", "k:\n", "p:\x00", "l:xx",
)  # fmt: skip

CASES = [
    Case("sticker", lambda u: u.send_sticker()),
    Case("poll", lambda u: u.send_poll()),
    Case("dice", lambda u: u.send_dice()),
    Case("contact", lambda u: u.send_contact()),
    Case("location", lambda u: u.send_location()),
    Case("voice", lambda u: u.send_voice()),
    Case("video note", lambda u: u.send_video_note()),
    Case("video", lambda u: u.send_video()),
    Case("web_app_data", lambda u: u.send_web_app_data('{"x": 1}')),
    Case("story", lambda u: u.send_story()),
    Case("forwarded text", lambda u: u.send_forwarded("look at this")),
    Case(
        "forwarded channel post",
        lambda u: u.send_forwarded("news", from_chat={"id": -1009, "type": "channel", "title": "N"}),
    ),
    Case("edited message", edited),  # the original is answered, the edit is not
    Case("zero-width and RTL text", lambda u: u.send_text(ZERO_WIDTH_RTL)),
    Case("4096-character caption", photo(images.jpeg(), "cape " * 819 + "x"), 1, 1),
    Case("HTML caption", photo(images.jpeg(), "<b>bold</b> <a href='x'>&amp;"), 1, 1),
    Case("zero-width caption", photo(images.jpeg(), ZERO_WIDTH_RTL), 1, 1),
    Case("PDF claiming image/jpeg", document(images.pdf(), "selfie.jpg", "image/jpeg")),
    Case("JPEG claiming application/pdf", document(images.jpeg(), "cv.pdf", "application/pdf")),
    Case("PNG named .jpg", document(images.png(), "selfie.jpg", "image/jpeg"), 1, 1),
    Case("text named .png", document(b"just text", "a.png", None)),
    Case("animated WebP", document(images.animated_webp(), "a.webp", "image/webp")),
    Case("APNG", document(images.animated_png(), "a.png", "image/png")),
    Case("CMYK JPEG", document(images.jpeg(mode="CMYK", color=(0, 0, 0, 0)), "c.jpg", "image/jpeg"), 1, 1),
    Case("16-bit PNG", document(images.png16_rgb(640, 480), "d.png", "image/png"), 1, 1),
    Case("paletted PNG", document(images.paletted_png_with_transparency(), "p.png", "image/png"), 1, 1),
    Case("alpha PNG", document(images.png(mode="RGBA", color=(1, 2, 3, 0)), "a.png", "image/png"), 1, 1),
    Case("EXIF-rotated JPEG", document(images.exif_rotated_jpeg(), "r.jpg", "image/jpeg"), 1, 1),
    Case("truncated progressive JPEG", document(images.truncated_progressive_jpeg(), "t.jpg", "image/jpeg")),
    Case("1×1 image", document(images.png(1, 1), "dot.png", "image/png")),
    Case("10000×1 image", document(images.png(10_000, 1), "line.png", "image/png")),
    Case("ten photos at once", ten_at_once, answers=10, avatars=3),
    Case("callback data of every shape", presses(*CALLBACK_SHAPES), 1, 0, len(CALLBACK_SHAPES)),
]  # fmt: skip


async def charges(world: BotWorld, user_id: int) -> int:
    async with unit_of_work(world.services.sessions) as session:
        count = await session.scalar(
            select(func.count())
            .select_from(LedgerEntry)
            .where(LedgerEntry.user_id == user_id, LedgerEntry.kind == "charge")
        )
    return int(count or 0)


async def test_every_bad_input_is_answered_once_and_costs_nothing_unless_an_avatar_is_made(
    database_url: str, tmp_path: Path
) -> None:
    async with bot_world(database_url, tmp_path, rate_limit_per_minute=60) as world:
        bystander = await world.started_user(9000)
        users = {
            case.name: await world.started_user(100 + n, first_name=HTML_NAME)
            for n, case in enumerate(CASES)
        }
        welcome = users[CASES[0].name].messages[0]
        assert HTML_NAME in text_of(welcome)  # escaped: shown as typed, never as markup
        answers_before = len(world.emu.calls("answerCallbackQuery"))

        group = world.emu.group(-100777, title=HTML_NAME)
        channel = world.emu.group(-100778, kind="channel", title="News")
        group.post(bystander.user, group.text("/start"))
        group.post_as_anonymous_admin(group.photo(images.jpeg(), "make me a hero"))
        group.post_as_channel(channel.chat, group.text("/gallery"))
        group.post(bystander.user, group.text("/buy"), edited=True)
        channel.channel_post(channel.photo(images.jpeg()))
        await asyncio.gather(*(case.act(users[case.name]) for case in CASES))
        started = time.monotonic()
        await bystander.send_text("/help")
        await bystander.wait_for(lambda m: "/gallery" in text_of(m), timeout=BYSTANDER_BOUND)
        assert time.monotonic() - started < BYSTANDER_BOUND
        await world.settled(timeout=60)
        await asyncio.sleep(1.5)  # time for any second (wrong) answer to arrive

        problems = []
        for case in CASES:
            user = users[case.name]
            said = user.messages[1:]
            made = sum(1 for m in said if is_avatar(m))
            balance, total = await world.balance(user.id), await world.ledger_sum(user.id)
            seen = (len(said), made, balance, total, await charges(world, user.id))
            want = (case.answers, case.avatars, 30 - 10 * case.avatars, balance, case.avatars)
            if seen != want:
                problems.append(f"{case.name}: {seen} != {want}: {[text_of(m) for m in said]}")
        assert problems == []
        assert len(group.messages) == 1 and channel.messages == []  # one pointer, no data
        assert await world.balance(1087968824) == 0 and len(bystander.messages) == 2
        pressed = world.emu.calls("answerCallbackQuery")[answers_before:]
        assert len(pressed) == sum(case.presses for case in CASES)
