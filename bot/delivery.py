"""AvatarDelivery over the Bot API: send the avatar, tidy the status message, report failures.

`sendPhoto` has no idempotency key. A clean refusal (400, 403) or an error before the request
left (no connection, pool exhausted, the upload never finished) means the user surely has
nothing: `DeliveryError`. A timeout or a broken connection after the upload went out may hide
a photo Telegram took: that is *maybe delivered* (`Delivered(confirmed=False)`), never retried
and never refunded. Uploads get a read timeout well above PTB's 5 s default.
"""

from __future__ import annotations

import asyncio
import io
import logging

import httpx
from PIL import Image
from telegram import Bot, InputFile, Message, ReplyParameters
from telegram.constants import ChatAction
from telegram.error import BadRequest, Forbidden, NetworkError, TelegramError

from bot.keyboards import avatar_keyboard, buy_button_keyboard, gallery_button_keyboard
from bot.refusals import failure_reason
from bot.texts import Html, language_for, style_name, t
from core.delivery_port import Delivered, FailedAvatar, FinishedAvatar
from core.errors import DeliveryError

log = logging.getLogger(__name__)

MAX_PHOTO_BYTES = 10 * 1024 * 1024
_EXTENSIONS = {"image/png": "png", "image/webp": "webp", "image/jpeg": "jpg"}
# Telegram answers an upload once it has processed it: seconds, sometimes tens of seconds.
MEDIA_READ_TIMEOUT = 60.0
MEDIA_WRITE_TIMEOUT = 60.0
# Transport failures that happen before Telegram could have the whole request.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.WriteTimeout)


class TelegramDelivery:
    def __init__(self, bot: Bot, *, media_read_timeout: float = MEDIA_READ_TIMEOUT) -> None:
        self._bot = bot
        self._media_read_timeout = media_read_timeout

    async def deliver(self, avatar: FinishedAvatar) -> Delivered:
        lang = avatar.language
        photo = await _photo_bytes(avatar.image, avatar.content_type)
        extension = (
            "jpg" if photo is not avatar.image else _EXTENSIONS.get(avatar.content_type, "png")
        )
        try:
            message = await self._bot.send_photo(
                chat_id=avatar.chat_id,
                photo=InputFile(photo, filename=f"avatar.{extension}"),
                caption=_caption(avatar),
                reply_markup=avatar_keyboard(avatar.generation_id, lang),
                reply_parameters=ReplyParameters(
                    avatar.source_message_id, allow_sending_without_reply=True
                ),
                read_timeout=self._media_read_timeout,
                write_timeout=MEDIA_WRITE_TIMEOUT,
            )
        except (Forbidden, BadRequest) as exc:
            raise DeliveryError(f"Telegram refused the avatar: {exc}", permanent=True) from exc
        except NetworkError as exc:  # TimedOut included
            if not _maybe_arrived(exc):
                raise DeliveryError(f"sending the avatar failed: {exc}") from exc
            log.warning(
                "no answer to the avatar's send (%s); it may have arrived: not re-sent",
                type(exc.__cause__).__name__,
                extra={"generation_id": avatar.generation_id},
            )
            return Delivered(file_id=None, message_id=None, confirmed=False)
        except TelegramError as exc:
            raise DeliveryError(f"sending the avatar failed: {exc}") from exc
        return Delivered(file_id=_largest_file_id(message), message_id=message.message_id)

    async def report_failure(self, failure: FailedAvatar) -> None:
        lang = failure.language
        reason = Html(failure_reason(failure.error_code, lang))
        key = "photo.refunded" if failure.refunded else "photo.not_refunded"
        text = t(key, lang, reason=reason, cost=failure.credits_used, credits=failure.balance)
        if failure.status_message_id is not None:
            try:
                await self._bot.edit_message_text(
                    text,
                    chat_id=failure.chat_id,
                    message_id=failure.status_message_id,
                )
                return
            except TelegramError:
                log.info("status message gone; sending the failure as a new message")
        markup = None if failure.refunded else buy_button_keyboard(lang)
        await self._bot.send_message(failure.chat_id, text, reply_markup=markup)

    async def show_progress(self, chat_id: int) -> None:
        await self._bot.send_chat_action(chat_id, ChatAction.UPLOAD_PHOTO)

    async def referral_rewarded(
        self, referrer_id: int, referred_name: str, bonus: int, balance: int, language: str | None
    ) -> None:
        text = t(
            "referral.rewarded",
            language_for(language),
            name=referred_name,
            bonus=bonus,
            credits=balance,
        )
        await self._bot.send_message(referrer_id, text)

    async def clear_status(self, chat_id: int, message_id: int) -> None:
        await self._bot.delete_message(chat_id, message_id)

    async def send_in_doubt(self, chat_id: int, language: str | None) -> None:
        lang = language_for(language)
        await self._bot.send_message(
            chat_id, t("photo.in_doubt", lang), reply_markup=gallery_button_keyboard(lang)
        )


def _caption(avatar: FinishedAvatar) -> str:
    lang = avatar.language
    caption = t("photo.caption", lang, style=style_name(avatar.style, lang), credits=avatar.balance)
    return f"{caption}\n{t('photo.resent', lang)}" if avatar.resent else caption


def _maybe_arrived(exc: NetworkError) -> bool:
    """A transport error after the request went out; an HTTP answer (5xx) means Telegram said
    no, and an error before the request was complete means it never had the photo."""
    cause = exc.__cause__
    return isinstance(cause, httpx.HTTPError) and not isinstance(cause, _NOT_SENT)


def _largest_file_id(message: Message) -> str | None:
    return message.photo[-1].file_id if message.photo else None


async def _photo_bytes(image: bytes, content_type: str) -> bytes:
    """Telegram takes photos up to 10 MB: re-encode larger results as JPEG (off the loop)."""
    if len(image) <= MAX_PHOTO_BYTES:
        return image
    return await asyncio.to_thread(_as_jpeg, image)


def _as_jpeg(image: bytes) -> bytes:
    with Image.open(io.BytesIO(image)) as opened:
        out = io.BytesIO()
        opened.convert("RGB").save(out, "JPEG", quality=90)
        return out.getvalue()
