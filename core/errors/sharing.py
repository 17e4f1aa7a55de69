"""Sharing's refusals: stickers Telegram would not make, broadcasts that cannot start, and
the answers a broadcast copy can get (blocked, flood)."""

from __future__ import annotations

from collections.abc import Mapping

from core.errors.base import AIVengerError
from core.errors.job import DeliveryError


class RecipientBlocked(DeliveryError):
    """Telegram answered 403: the user blocked the bot (or deleted their account)."""

    code = "recipient_blocked"

    def __init__(self, message: str = "the user blocked the bot") -> None:
        super().__init__(message, permanent=True)


class SendFlood(DeliveryError):
    """Telegram's flood limit (429): try again after `retry_after` seconds."""

    code = "send_flood"

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"flood limit, retry after {retry_after:.0f} s")
        self.retry_after = retry_after


class StickerRefused(AIVengerError):
    """Telegram would not make the sticker; `code` says why, nothing was charged."""

    code = "sticker_refused"


class StickerPackFull(StickerRefused):
    """The user's pack holds as many stickers as Telegram allows."""

    code = "sticker_pack_full"


class StickerSetGone(StickerRefused):
    """The pack is no longer there (the user deleted it): make a new one."""

    code = "sticker_set_gone"


class StickerNameTaken(StickerRefused):
    """The pack's name is occupied by a set that is not (or no longer) ours to add to."""

    code = "sticker_name_taken"


class StickerFlood(StickerRefused):
    """Telegram asks to wait before making more stickers."""

    code = "sticker_flood"

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"retry after {retry_after:.0f} s")
        self.retry_after = retry_after

    @property
    def params(self) -> Mapping[str, object]:
        return {"seconds": max(1, round(self.retry_after))}


class StickerInProgress(StickerRefused):
    """This avatar's sticker is being made right now (a second press)."""

    code = "sticker_in_progress"


class BroadcastAlreadyRunning(AIVengerError):
    """One broadcast at a time."""

    code = "broadcast_running"


class BroadcastAlreadySent(AIVengerError):
    """This message was broadcast before (a second press of Send, a redelivered update)."""

    code = "broadcast_already_sent"
