"""The webhook receiver: Telegram's POST is answered 200 only after the update is stored.

Telegram redelivers an update until it gets a 2xx, so a database that cannot take the insert
answers 503 and the update comes again; a request without the secret token that the bot
registered is refused (403) before anything is read or written.
"""

from __future__ import annotations

import hmac
import logging
from urllib.parse import urlsplit

from aiohttp import web
from telegram import Update

from bot.update_inbox import UpdateInbox

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name


def webhook_app(box: UpdateInbox, *, path: str, secret: str) -> web.Application:
    async def receive(request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), secret.encode()):
            return web.Response(status=403)
        try:
            raw = await request.json()
        except ValueError:
            return web.Response(status=400)
        if not isinstance(raw, dict) or not isinstance(raw.get("update_id"), int):
            return web.Response(status=400)
        try:
            await box.accept([raw])
        except Exception:
            log.exception("update %d not stored; Telegram will send it again", raw["update_id"])
            return web.Response(status=503)
        return web.Response(status=200)

    app = web.Application(client_max_size=4 * 1024 * 1024)
    app.router.add_post(path, receive)
    return app


async def serve_webhook(
    box: UpdateInbox, *, url: str, secret: str, listen: str, port: int
) -> web.AppRunner:
    """Listen, then tell Telegram where to post (with the secret); stop with `cleanup()`."""
    path = "/" + urlsplit(url).path.lstrip("/")
    runner = web.AppRunner(webhook_app(box, path=path, secret=secret), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, listen, port).start()
    await box.application.bot.set_webhook(
        url, secret_token=secret, allowed_updates=Update.ALL_TYPES
    )
    log.info("webhook listening on %s:%d%s", listen, port, path)
    return runner
