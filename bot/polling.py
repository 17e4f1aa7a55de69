"""The polling receiver: our own getUpdates loop, so Telegram's offset moves only after the
fetched batch is stored (PTB's Updater confirms it on its next fetch, processed or not).

getUpdates returns the raw JSON (`do_api_request` without a return type), which is stored
as Telegram sent it; asking for `offset = last stored + 1` is what confirms the batch.
"""

from __future__ import annotations

import asyncio
import logging
import warnings

from telegram import Update
from telegram.error import Conflict, InvalidToken, NetworkError, RetryAfter, TimedOut
from telegram.warnings import PTBUserWarning

from bot.update_inbox import UpdateInbox

log = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 5.0

# PTB suggests Bot.get_updates, which returns parsed objects; we want the raw JSON.
warnings.filterwarnings("ignore", "Please use 'Bot.getUpdates'", PTBUserWarning)


async def fetch_forever(box: UpdateInbox, *, poll_timeout: int) -> None:
    """Long-poll, store each batch, then confirm it by asking for what follows it."""
    bot = box.application.bot
    await bot.delete_webhook()  # getUpdates is refused while a webhook is set
    offset: int | None = None
    backoff = 0.0
    while True:
        try:
            raws = await bot.do_api_request(
                "getUpdates",
                api_kwargs={
                    "offset": offset,
                    "timeout": poll_timeout,
                    "allowed_updates": Update.ALL_TYPES,
                },
                read_timeout=poll_timeout + 10,
            )
        except InvalidToken:
            raise
        except RetryAfter:
            await asyncio.sleep(1.0)
            continue
        except (TimedOut, Conflict, NetworkError) as exc:
            backoff = min(MAX_BACKOFF_SECONDS, backoff * 2 or 0.25)
            log.warning("getUpdates failed (%s); again in %.2f s", exc, backoff)
            await asyncio.sleep(backoff)
            continue
        if not raws:
            backoff = 0.0
            continue
        try:
            await box.accept(raws)
        except Exception:
            # Not stored: keep the offset, so Telegram keeps the batch and sends it again.
            backoff = min(MAX_BACKOFF_SECONDS, backoff * 2 or 0.25)
            log.exception("could not store %d updates; fetching them again", len(raws))
            await asyncio.sleep(backoff)
            continue
        backoff = 0.0
        offset = max(int(raw["update_id"]) for raw in raws) + 1
