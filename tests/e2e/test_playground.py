"""The playground's page API against the real bot: what the chat page sends and what it is told.

No browser here (tests/browser has that); these drive the JSON endpoints and read the event
stream exactly as app.js does, so a broken endpoint or a silent feed fails fast everywhere.
"""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from PIL import Image

from playground.offline_model import OfflineImageModel
from playground.run import openrouter_key, playground
from playground.sample_photo import sample_selfie
from tests.fakes.openrouter import OpenRouterFake

JsonDict = dict[str, Any]
ADA, BORIS = 1001, 1002


class Stream:
    """The page's view of /play/events: every event so far, and waiting for the next match."""

    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self._response = response
        self.events: list[JsonDict] = []

    async def next(self, match: Callable[[JsonDict], bool], timeout: float = 15.0) -> JsonDict:
        async with asyncio.timeout(timeout):
            while True:
                line = (await self._response.content.readline()).decode()
                if not line.startswith("data: "):
                    continue
                event = json.loads(line[len("data: ") :])
                self.events.append(event)
                if _safe(match, event):
                    return event


def _safe(match: Callable[[JsonDict], bool], event: JsonDict) -> bool:
    try:
        return bool(match(event))
    except (KeyError, IndexError, TypeError):
        return False


def bot_says(user: int, words: str) -> Callable[[JsonDict], bool]:
    def match(event: JsonDict) -> bool:
        message = event["message"]
        text = message.get("text") or message.get("caption") or ""
        return event["user"] == user and not message["outgoing"] and words in text

    return match


def button(message: JsonDict, label: str) -> str:
    for row in message["reply_markup"]["inline_keyboard"]:
        for item in row:
            if label in item["text"]:
                return str(item["callback_data"])
    raise AssertionError(f"no button {label!r} in {message.get('reply_markup')}")


@pytest.fixture
async def page(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Any]:
    monkeypatch.chdir(tmp_path)  # no developer .env leaks in
    async with (
        playground(tmp_path, model=OfflineImageModel(delay=0.2)) as play,
        aiohttp.ClientSession(base_url=play.url) as http,
    ):
        yield http


async def test_the_page_chats_with_the_real_bot_through_start_photo_gallery_and_payment(
    page: aiohttp.ClientSession,
) -> None:
    async with page.get("/play/events") as response:
        assert response.content_type == "text/event-stream"
        events = Stream(response)
        await page.post("/play/api/send", json={"user": ADA, "text": "/start"})
        await events.next(bot_says(ADA, "Welcome to AIVenger, Ada"))

        form = aiohttp.FormData()
        form.add_field("user", str(ADA))
        form.add_field("kind", "photo")
        form.add_field("file", sample_selfie(), filename="me.jpg", content_type="image/jpeg")
        sent = await page.post("/play/api/send", data=form)
        assert sent.status == 200, await sent.text()
        await events.next(lambda e: e["type"] == "action" and e["action"] == "upload_photo")
        avatar = (await events.next(bot_says(ADA, "credits left")))["message"]
        status = next(
            e for e in events.events if "Creating" in e.get("message", {}).get("text", "")
        )
        await events.next(
            lambda e: (
                e == {"type": "delete", "user": ADA, "message_id": status["message"]["message_id"]}
            )
        )

        async with page.get(avatar["photo_url"]) as photo:
            assert photo.content_type == "image/jpeg"
            picture = Image.open(io.BytesIO(await photo.read()))
            assert picture.size[0] > 100

        pressed = await page.post(
            "/play/api/press",
            json={
                "user": ADA,
                "message_id": avatar["message_id"],
                "data": button(avatar, "Gallery"),
            },
        )
        assert (await pressed.json())["ok"]
        gallery = (await events.next(bot_says(ADA, "1 / 1")))["message"]
        asked = await page.post(
            "/play/api/press",
            json={"user": ADA, "message_id": gallery["message_id"], "data": button(gallery, "🗑")},
        )
        assert (await asked.json())["ok"]
        confirm = (await events.next(bot_says(ADA, "Delete this avatar?")))["message"]
        assert confirm["message_id"] == gallery["message_id"]  # edited in place, live
        done = await page.post(
            "/play/api/press",
            json={"user": ADA, "message_id": confirm["message_id"], "data": button(confirm, "Yes")},
        )
        assert (await done.json())["answer"]["text"] == "🗑 Deleted."
        await events.next(
            lambda e: e == {"type": "delete", "user": ADA, "message_id": gallery["message_id"]}
        )

        await page.post("/play/api/send", json={"user": ADA, "text": "/buy"})
        packs = (await events.next(bot_says(ADA, "Pick a pack")))["message"]
        await page.post(
            "/play/api/press",
            json={
                "user": ADA,
                "message_id": packs["message_id"],
                "data": button(packs, "50 credits"),
            },
        )
        invoice = (await events.next(lambda e: "invoice" in e["message"]))["message"]
        paid = await page.post(
            "/play/api/pay", json={"user": ADA, "message_id": invoice["message_id"]}
        )
        result = await paid.json()
        assert result["ok"], result
        assert result["stars"] == 2500 - invoice["invoice"]["total_amount"]
        await events.next(lambda e: "successful_payment" in e["message"])
        await events.next(bot_says(ADA, "Payment received: +50 credits"))

        state = await (await page.get("/play/api/state")).json()
        assert [u["stars"] for u in state["users"]] == [2450, 2500]


async def test_a_reply_from_the_page_quotes_the_message_and_reaches_the_bot(
    page: aiohttp.ClientSession,
) -> None:
    async with page.get("/play/events") as response:
        events = Stream(response)
        await page.post("/play/api/send", json={"user": ADA, "text": "/start"})
        form = aiohttp.FormData()
        form.add_field("user", str(ADA))
        form.add_field("kind", "photo")
        form.add_field("file", sample_selfie(), filename="me.jpg", content_type="image/jpeg")
        await page.post("/play/api/send", data=form)
        avatar = (await events.next(bot_says(ADA, "credits left")))["message"]

        sent = await page.post(
            "/play/api/send",
            json={"user": ADA, "text": "/delete", "reply_to": avatar["message_id"]},
        )
        assert sent.status == 200
        mine = await events.next(lambda e: e["message"].get("text") == "/delete")
        assert mine["message"]["reply_to_message"]["message_id"] == avatar["message_id"]
        await events.next(bot_says(ADA, "Delete this avatar?"))

        gone = await page.post(
            "/play/api/send", json={"user": ADA, "text": "/delete", "reply_to": 9999}
        )
        assert gone.status == 404


async def test_several_photos_picked_at_once_go_as_one_album(
    page: aiohttp.ClientSession,
) -> None:
    async with page.get("/play/events") as response:
        events = Stream(response)
        await page.post("/play/api/send", json={"user": ADA, "text": "/start"})
        await events.next(bot_says(ADA, "Welcome"))
        form = aiohttp.FormData()
        form.add_field("user", str(ADA))
        form.add_field("kind", "photo")
        form.add_field("caption", "same person")
        for shirt in ((200, 0, 0), (0, 200, 0)):
            form.add_field(
                "file", sample_selfie(shirt=shirt), filename="me.jpg", content_type="image/jpeg"
            )
        sent = await page.post("/play/api/send", data=form)
        assert sent.status == 200, await sent.text()
        question = (await events.next(bot_says(ADA, "📸 2 photos")))["message"]
        pressed = await page.post(
            "/play/api/press",
            json={
                "user": ADA,
                "message_id": question["message_id"],
                "data": button(question, "One avatar from all 2"),
            },
        )
        assert (await pressed.json())["ok"]
        await events.next(bot_says(ADA, "credits left"))

    mine = [
        e["message"]
        for e in events.events
        if e["type"] == "message" and e["message"]["outgoing"] and "photo" in e["message"]
    ]
    assert len(mine) == 2
    assert mine[0]["media_group_id"] == mine[1]["media_group_id"]
    assert mine[0]["caption"] == "same person"

    form = aiohttp.FormData()
    form.add_field("user", str(ADA))
    form.add_field("kind", "photo")
    for _ in range(11):
        form.add_field("file", sample_selfie(), filename="me.jpg", content_type="image/jpeg")
    too_many = await page.post("/play/api/send", data=form)
    assert too_many.status == 400
    assert "2 to 10" in (await too_many.json())["error"]


async def test_the_second_user_and_the_language_switch_reach_the_bot(
    page: aiohttp.ClientSession,
) -> None:
    async with page.get("/play/events") as response:
        events = Stream(response)
        await page.post("/play/api/send", json={"user": BORIS, "text": "/start"})
        await events.next(bot_says(BORIS, "Добро пожаловать"))
        switched = await page.post("/play/api/language", json={"user": ADA, "language": "ru"})
        assert (await switched.json())["ok"]
        await page.post("/play/api/send", json={"user": ADA, "text": "/start"})
        await events.next(bot_says(ADA, "Добро пожаловать"))
        await page.post("/play/api/send", json={"user": ADA, "text": "/language en"})
        await events.next(bot_says(ADA, "Language set to English"))
        assert all(e["user"] in (ADA, BORIS) for e in events.events)

    commands = await (await page.get(f"/play/api/commands?user={BORIS}")).json()
    assert {"command": "gallery", "description": "Ваши аватары"} in commands


async def test_the_page_refuses_what_a_telegram_app_could_not_send(
    page: aiohttp.ClientSession,
) -> None:
    stranger = await page.post("/play/api/send", json={"user": 666, "text": "hi"})
    assert stranger.status == 400
    form = aiohttp.FormData()
    form.add_field("user", str(ADA))
    form.add_field("kind", "photo")
    form.add_field("file", b"%PDF-1.4 not an image", filename="doc.pdf")
    refused = await page.post("/play/api/send", data=form)
    assert refused.status == 400
    assert "as a file" in (await refused.json())["error"]
    missing = await page.post("/play/api/press", json={"user": ADA, "message_id": 999, "data": "x"})
    assert missing.status == 404
    index = await page.get("/")
    assert "AIVenger playground" in await index.text()
    foreign = await page.post(
        "/play/api/send",
        data={"user": str(ADA), "kind": "file"},
        headers={"Origin": "http://evil.example"},
    )
    assert foreign.status == 403  # another site in the same browser cannot act as a user
    rebound = await page.get("/play/api/state", headers={"Host": "evil.example"})
    assert rebound.status == 403
    for asset in ("app.js", "render.js", "app.css"):
        assert (await page.get(f"/play/web/{asset}")).status == 200


async def test_with_an_openrouter_key_the_avatars_come_from_openrouter(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The key is read like Settings reads it (here from .env); the model's URL too."""
    async with OpenRouterFake(api_key="sk-or-from-dotenv") as model:
        (tmp_path / ".env").write_text(
            f"OPENROUTER_API_KEY=sk-or-from-dotenv\nOPENROUTER_BASE_URL={model.base_url}\n"
        )
        monkeypatch.chdir(tmp_path)
        monkeypatch.delenv("OPENROUTER_API_KEY", raising=False)
        monkeypatch.delenv("OPENROUTER_BASE_URL", raising=False)
        key = openrouter_key()
        assert key == "sk-or-from-dotenv"
        async with (
            playground(tmp_path, key=key) as play,
            aiohttp.ClientSession(base_url=play.url) as http,
            http.get("/play/events") as response,
        ):
            state = await (await http.get("/play/api/state")).json()
            assert state["model"].startswith("OpenRouter (")
            events = Stream(response)
            await http.post("/play/api/send", json={"user": ADA, "text": "/start"})
            await events.next(bot_says(ADA, "Welcome"))
            form = aiohttp.FormData()
            form.add_field("user", str(ADA))
            form.add_field("kind", "photo")
            form.add_field("file", sample_selfie(), filename="me.jpg", content_type="image/jpeg")
            await http.post("/play/api/send", data=form)
            await events.next(bot_says(ADA, "credits left"))
        assert len(model.requests) == 1  # the avatar came from the (fake) OpenRouter


def test_without_a_key_anywhere_the_offline_model_is_chosen(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("OPENROUTER_API_KEY", raising=False)
    assert openrouter_key() is None
    (tmp_path / ".env").write_text("OPENROUTER_API_KEY=\n")  # as .env.example leaves it
    assert openrouter_key() is None
