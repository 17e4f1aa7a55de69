"""🎭 on an avatar: the avatar as a static sticker in the user's own pack.

The first sticker creates the pack, later ones join it. A sticker row per avatar is claimed
first (a second press while the first runs is told so, and a finished sticker is just sent
again); `STICKER_COST`, when set, is charged in the same transaction under a key per avatar
and attempt, and refunded when Telegram refuses. A pack the user deleted (STICKERSET_INVALID)
or a name that is taken is replaced by a new pack under the next name.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core import gallery, ledger, stickers
from core.blobs import BlobStore
from core.clock import utcnow
from core.db import unit_of_work
from core.errors import (
    NotFound,
    StickerInProgress,
    StickerNameTaken,
    StickerRefused,
    StickerSetGone,
)
from core.sticker_image import sticker_image

log = logging.getLogger(__name__)

_MAX_PACK_NAMES = 5  # new names tried when old packs are gone or names are taken
_LEASE = timedelta(minutes=2)


class StickerStudio(Protocol):
    """Telegram's sticker sets (implemented by the bot). Each call returns the new sticker's
    file_id or raises a StickerRefused subclass."""

    def pack_name(self, user_id: int, number: int) -> str: ...

    async def create_pack(self, *, user_id: int, name: str, title: str, image: bytes) -> str: ...

    async def add_to_pack(self, *, user_id: int, name: str, image: bytes) -> str: ...


class NoStickerStudio:
    """For processes without a bot (cleanup): every sticker is refused."""

    def pack_name(self, user_id: int, number: int) -> str:
        return f"aiv_{user_id}_{number}"

    async def create_pack(self, *, user_id: int, name: str, title: str, image: bytes) -> str:
        raise StickerRefused("this process cannot make stickers")

    async def add_to_pack(self, *, user_id: int, name: str, image: bytes) -> str:
        raise StickerRefused("this process cannot make stickers")


@dataclass(frozen=True, slots=True, kw_only=True)
class MadeSticker:
    file_id: str
    pack_name: str
    cost: int
    balance: int | None  # after the charge; None when nothing was charged
    again: bool  # the avatar already was a sticker: nothing new was made


class StickerService:
    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        blobs: BlobStore,
        studio: StickerStudio,
        cost: int,
    ) -> None:
        self._sessions = sessions
        self._blobs = blobs
        self._studio = studio
        self._cost = cost

    async def make(self, *, user_id: int, gen_id: str, title: str) -> MadeSticker:
        """Raises NotFound, InsufficientCredits, StickerInProgress or a StickerRefused."""
        async with unit_of_work(self._sessions) as session:
            avatar = await gallery.get_completed(session, user_id=user_id, gen_id=gen_id)
            if avatar is None:
                raise NotFound(f"no avatar {gen_id} for this user")
            claim = await stickers.claim(
                session, user_id=user_id, gen_id=gen_id, now=utcnow(), lease=_LEASE
            )
            if claim.outcome == "done":
                return MadeSticker(
                    file_id=claim.file_id or "",
                    pack_name=claim.set_name or "",
                    cost=0,
                    balance=None,
                    again=True,
                )
            if claim.outcome == "busy":
                raise StickerInProgress("this avatar's sticker is being made")
            if claim.abandoned is not None:
                await self._refund(session, user_id, claim.sticker_id, claim.abandoned)
            balance = None
            if self._cost > 0:
                balance = await ledger.charge(
                    session,
                    user_id=user_id,
                    cost=self._cost,
                    key=_charge_key(claim.sticker_id, claim.attempt),
                    reference=f"sticker:{gen_id}",
                )
            pack = await stickers.pack_of(session, user_id)
            key = avatar.result_key
        try:
            if key is None:
                raise NotFound(f"avatar {gen_id} has no stored image")
            image = await asyncio.to_thread(sticker_image, await self._blobs.get(key))
            file_id, pack = await self._place(user_id, pack, title, image)
        except BaseException:
            async with unit_of_work(self._sessions) as session:
                await stickers.fail(session, sticker_id=claim.sticker_id)
                await self._refund(session, user_id, claim.sticker_id, claim.attempt)
            raise
        async with unit_of_work(self._sessions) as session:
            await stickers.finish(
                session,
                sticker_id=claim.sticker_id,
                user_id=user_id,
                file_id=file_id,
                set_name=pack,
            )
        log.info("sticker made", extra={"generation_id": gen_id, "user_id": user_id})
        return MadeSticker(
            file_id=file_id, pack_name=pack, cost=self._cost, balance=balance, again=False
        )

    async def _place(
        self, user_id: int, pack: str | None, title: str, image: bytes
    ) -> tuple[str, str]:
        """Adds to the user's pack, or creates one; moves to the next name when needed."""
        studio = self._studio
        first = _number_of(studio, user_id, pack) if pack else 1
        for number in range(first, first + _MAX_PACK_NAMES):
            name = studio.pack_name(user_id, number)
            if pack == name:
                try:
                    return await studio.add_to_pack(user_id=user_id, name=name, image=image), name
                except StickerSetGone:
                    continue  # the user deleted the pack; its name stays taken
            try:
                created = await studio.create_pack(
                    user_id=user_id, name=name, title=title, image=image
                )
                return created, name
            except StickerNameTaken:
                try:  # ours from an attempt whose answer was lost?
                    return await studio.add_to_pack(user_id=user_id, name=name, image=image), name
                except StickerSetGone:
                    continue
        raise StickerNameTaken("no free pack name")

    async def _refund(
        self, session: AsyncSession, user_id: int, sticker_id: int, attempt: int
    ) -> None:
        charge_key = _charge_key(sticker_id, attempt)
        if self._cost <= 0 or not await ledger.key_used(session, charge_key):
            return
        await ledger.credit(
            session,
            user_id=user_id,
            amount=self._cost,
            kind=ledger.LedgerKind.REFUND,
            key=f"refund:{charge_key}",
            reference=charge_key,
        )


def _charge_key(sticker_id: int, attempt: int) -> str:
    return f"sticker:{sticker_id}:{attempt}"


def _number_of(studio: StickerStudio, user_id: int, pack: str) -> int:
    for number in range(1, 100):
        if studio.pack_name(user_id, number) == pack:
            return number
    return 1
