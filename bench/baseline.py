"""The floor: the thinnest correct python-telegram-bot bot doing AIVenger's I/O, and nothing else.

A photo arrives → download its largest size → one OpenRouter request with the image as a base64
data URL → send the returned image back as a photo. No database, no blob store, no queue, no
status message, no validation. What it does have is what any correct PTB bot needs: the same
`AIORateLimiter` (honours 429 retry_after), the same concurrent update processing and connection
pool as AIVenger, one shared httpx client, and a one-line answer when the model fails.

Run it like the bot, from the same environment variables:
    TELEGRAM_BOT_TOKEN=... OPENROUTER_API_KEY=... python -m bench.baseline
"""

from __future__ import annotations

import base64
import logging
import os
import sys
from typing import Any

import httpx
from telegram import Update
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    ContextTypes,
    MessageHandler,
    filters,
)

log = logging.getLogger("bench.baseline")

PROMPT = "Transform this person into an epic superhero character."
# The same knobs AIVenger's bot.app uses, so the comparison isolates database, storage and queue.
CONCURRENT_UPDATES = 256
CONNECTION_POOL = 64
MODEL_TIMEOUT = 180.0
# AIVenger retries a failed send from its job queue; with no queue, the floor retries 429s here
# (with 3 it lost an avatar of 500 in the burst benchmark).
MAX_RETRIES = 10

Context = ContextTypes.DEFAULT_TYPE
BaselineApp = Application[Any, Any, Any, Any, Any, Any]


class Floor:
    """The handler and its one resource (the OpenRouter client)."""

    def __init__(self, *, openrouter_base_url: str, api_key: str, model: str) -> None:
        self._url = openrouter_base_url.rstrip("/") + "/chat/completions"
        self._headers = {"Authorization": f"Bearer {api_key}", "X-Title": "AIVenger baseline"}
        self._model = model
        self._http: httpx.AsyncClient | None = None

    async def open(self, _application: BaselineApp) -> None:
        self._http = httpx.AsyncClient(timeout=httpx.Timeout(MODEL_TIMEOUT, connect=10.0))

    async def close(self, _application: BaselineApp) -> None:
        if self._http is not None:
            await self._http.aclose()

    async def on_photo(self, update: Update, context: Context) -> None:
        """Largest size in, one model call, the image back out as a photo."""
        message = update.effective_message
        if message is None or not message.photo:
            return
        data = bytes(await (await message.photo[-1].get_file()).download_as_bytearray())
        try:
            image = await self._generate(data)
        except (httpx.HTTPError, KeyError, IndexError, TypeError, ValueError) as exc:
            log.warning("model failed: %s", type(exc).__name__)
            await message.reply_text("Sorry, that did not work. Please try again.")
            return
        await message.reply_photo(image)

    async def _generate(self, jpeg: bytes) -> bytes:
        assert self._http is not None
        data_url = "data:image/jpeg;base64," + base64.b64encode(jpeg).decode("ascii")
        body = {
            "model": self._model,
            "modalities": ["image", "text"],
            "messages": [
                {
                    "role": "user",
                    "content": [
                        {"type": "text", "text": PROMPT},
                        {"type": "image_url", "image_url": {"url": data_url}},
                    ],
                }
            ],
        }
        response = await self._http.post(self._url, json=body, headers=self._headers)
        response.raise_for_status()
        url = response.json()["choices"][0]["message"]["images"][0]["image_url"]["url"]
        return base64.b64decode(str(url).partition(",")[2])


def build_baseline(
    *,
    token: str,
    api_base_url: str,
    file_base_url: str,
    openrouter_base_url: str,
    openrouter_api_key: str,
    model: str = "google/gemini-2.5-flash-image",
) -> BaselineApp:
    floor = Floor(openrouter_base_url=openrouter_base_url, api_key=openrouter_api_key, model=model)
    application = (
        ApplicationBuilder()
        .token(token)
        .base_url(api_base_url)
        .base_file_url(file_base_url)
        .rate_limiter(AIORateLimiter(max_retries=MAX_RETRIES))
        .concurrent_updates(CONCURRENT_UPDATES)
        .connection_pool_size(CONNECTION_POOL)
        .media_write_timeout(60)
        .post_init(floor.open)
        .post_shutdown(floor.close)
        .build()
    )
    application.add_handler(
        MessageHandler(filters.UpdateType.MESSAGE & filters.PHOTO, floor.on_photo)
    )
    return application


def main() -> int:
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(message)s")
    env = os.environ
    try:
        application = build_baseline(
            token=env["TELEGRAM_BOT_TOKEN"],
            api_base_url=env.get("TELEGRAM_API_BASE_URL", "https://api.telegram.org/bot"),
            file_base_url=env.get("TELEGRAM_FILE_BASE_URL", "https://api.telegram.org/file/bot"),
            openrouter_base_url=env.get("OPENROUTER_BASE_URL", "https://openrouter.ai/api/v1"),
            openrouter_api_key=env["OPENROUTER_API_KEY"],
            model=env.get("OPENROUTER_MODEL", "google/gemini-2.5-flash-image"),
        )
    except KeyError as missing:
        print(f"baseline: {missing.args[0]} is not set", file=sys.stderr)
        return 2
    application.run_polling(allowed_updates=Update.ALL_TYPES)
    return 0


if __name__ == "__main__":
    sys.exit(main())
