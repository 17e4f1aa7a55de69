"""Several selfies, one likeness: an album is stored as it arrives and answered once (§12).

Each photo's original is stored on arrival (under the same intake rules as a single photo)
with its album part row; nothing is charged. Once the parts have gone quiet the user is asked
[One avatar from all N] [N separate avatars] (core/services/album_questions.py). `choose` is
fenced by the album's status, so a button pressed twice queues one set of jobs.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core import albums, generations, ledger, users
from core.album_tables import AlbumPart
from core.albums import MAX_ALBUM_PHOTOS, AlbumStatus
from core.blobs import BlobStore, original_key
from core.charging import charge_and_insert
from core.clock import utcnow
from core.db import unit_of_work
from core.errors import InsufficientCredits, NotFound, StorageError, SubmissionRefused
from core.events import JobEvents, JobSummary
from core.intake import prepare_image
from core.models import Generation
from core.services.album_jobs import jobs_for_choice

log = logging.getLogger(__name__)


class OncePerAlbum:
    """Albums already answered with a refusal, so ten parts get one answer, not ten. Parts of
    an album arrive within a second or two; entries older than a minute are forgotten."""

    TTL_SECONDS = 60.0

    def __init__(self) -> None:
        self._seen: dict[tuple[int, str], float] = {}

    def first(self, chat_id: int, media_group_id: str) -> bool:
        now = time.monotonic()
        if len(self._seen) > 1000:
            self._seen = {k: t for k, t in self._seen.items() if now - t < self.TTL_SECONDS}
        key = (chat_id, media_group_id)
        seen = self._seen.get(key)
        fresh = seen is None or now - seen >= self.TTL_SECONDS
        if fresh:
            self._seen[key] = now
        return fresh


@dataclass(frozen=True, slots=True, kw_only=True)
class AlbumPhoto:
    user_id: int
    chat_id: int
    media_group_id: str
    message_id: int
    file_id: str
    image: bytes
    caption: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class AlbumChoice:
    generation_ids: list[str]
    photos: int
    balance: int
    refusal: SubmissionRefused | None  # why the rest of "separate" was not queued
    duplicate: bool  # chosen before (a second press)


class AlbumService:
    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        blobs: BlobStore,
        cost: int,
        max_active: int,
        events: JobEvents,
        on_queued: Callable[[], None] | None = None,
    ) -> None:
        self._sessions = sessions
        self._blobs = blobs
        self._cost = cost
        self._max_active = max_active
        self._events = events
        self._on_queued = on_queued
        self._refused = OncePerAlbum()

    async def wants_part(
        self, *, balance: int, chat_id: int, media_group_id: str, message_id: int
    ) -> bool:
        """False for a part already stored (a redelivered update) or an album past taking
        photos: no download for those. A user who cannot pay for even one avatar is refused
        before any download, once per album (`InsufficientCredits`); its other parts are
        dropped silently. The choice re-checks the balance when it charges."""
        if balance < self._cost:
            if self._refused.first(chat_id, media_group_id):
                raise InsufficientCredits(balance=balance, cost=self._cost)
            return False
        async with unit_of_work(self._sessions) as session:
            if await albums.part_exists(session, chat_id=chat_id, message_id=message_id):
                return False
            album = await albums.find(session, chat_id=chat_id, media_group_id=media_group_id)
            # Past MAX_ALBUM_PHOTOS the album only waits for its hint: no more downloads.
            open_statuses = (AlbumStatus.COLLECTING, AlbumStatus.ASKING, AlbumStatus.ASKED)
            return album is None or album.status in open_statuses

    async def add_photo(self, photo: AlbumPhoto) -> None:
        """Validate and store the photo, then record it on its album (opened if new)."""
        prepared = await prepare_image(photo.image)
        key = original_key(photo.user_id)
        await self._blobs.put(key, prepared.jpeg, "image/jpeg")
        stored = False
        try:
            await self._open(photo)
            stored = await self._record(photo, key, prepared.aspect_ratio)
        finally:
            if not stored:
                with contextlib.suppress(Exception):
                    await self._blobs.delete(key)  # no blob without its row

    async def _open(self, photo: AlbumPhoto) -> None:
        with contextlib.suppress(IntegrityError):  # another part's update opened it first
            async with unit_of_work(self._sessions) as session:
                if await albums.find(
                    session, chat_id=photo.chat_id, media_group_id=photo.media_group_id
                ):
                    return
                await albums.open_album(
                    session,
                    user_id=photo.user_id,
                    chat_id=photo.chat_id,
                    media_group_id=photo.media_group_id,
                )

    async def _record(self, photo: AlbumPhoto, key: str, aspect_ratio: str) -> bool:
        """True when the part is stored; False for a duplicate, a closed or overfull album."""
        try:
            async with unit_of_work(self._sessions) as session:
                album = await albums.find(
                    session, chat_id=photo.chat_id, media_group_id=photo.media_group_id, lock=True
                )
                if album is None or album.status not in AlbumStatus.OPEN:
                    log.info("album part after the album closed", extra={"user_id": photo.user_id})
                    return False
                stored = await albums.count_parts(session, album.id)
                full = album.status == AlbumStatus.OVERFLOW or stored >= MAX_ALBUM_PHOTOS
                albums.reopen(album, overflow=full)
                if full:
                    return False
                session.add(
                    AlbumPart(
                        album_id=album.id,
                        user_id=photo.user_id,
                        chat_id=photo.chat_id,
                        media_group_id=photo.media_group_id,
                        message_id=photo.message_id,
                        file_id=photo.file_id,
                        original_key=key,
                        aspect_ratio=aspect_ratio,
                        caption=photo.caption,
                    )
                )
                await session.flush()
                return True
        except IntegrityError:  # the same message stored by a concurrent redelivery
            return False

    async def choose(self, *, user_id: int, album_id: str, together: bool) -> AlbumChoice:
        """Charge and queue the chosen avatars; a refusal of the first one changes nothing
        (the question stays answerable), a later one keeps those queued before it."""
        async with unit_of_work(self._sessions) as session:
            album = await albums.get_owned(session, user_id=user_id, album_id=album_id, lock=True)
            if album is None or album.status not in (AlbumStatus.ASKED, AlbumStatus.CHOSEN):
                raise NotFound(f"no album {album_id} waiting for this user's choice")
            if album.status == AlbumStatus.CHOSEN:
                balance = await ledger.balance(session, user_id)
                return AlbumChoice(
                    generation_ids=[], photos=0, balance=balance, refusal=None, duplicate=True
                )
            parts = await albums.parts_of(session, album.id)
            user = await users.get(session, user_id)
            queued: list[Generation] = []
            refusal: SubmissionRefused | None = None
            balance = user.credits
            for job in jobs_for_choice(parts, style=user.style, cost=self._cost, together=together):
                try:
                    row, balance = await charge_and_insert(
                        session,
                        gen_id=generations.new_generation_id(),
                        job=job,
                        max_active=self._max_active,
                    )
                except SubmissionRefused as exc:
                    refusal = exc
                    break
                queued.append(row)
            if not queued:
                assert refusal is not None
                raise refusal
            used = {key for row in queued for key in row.original_keys}
            leftovers = [part.original_key for part in parts if part.original_key not in used]
            album.status = AlbumStatus.CHOSEN
            album.updated_at = utcnow()
            await albums.drop_parts(session, album.id)
        await self._remove_blobs(leftovers)
        for row in queued:
            self._events.submitted(JobSummary.of(row))
            self._events.credits_moved(ledger.LedgerKind.CHARGE, row.credits_used)
        if self._on_queued:
            self._on_queued()
        log.info("album chosen: %d job(s)", len(queued), extra={"user_id": user_id})
        return AlbumChoice(
            generation_ids=[row.id for row in queued],
            photos=len(parts),
            balance=balance,
            refusal=refusal,
            duplicate=False,
        )

    async def _remove_blobs(self, keys: list[str]) -> None:
        for key in keys:
            try:
                await self._blobs.delete(key)
            except StorageError:
                log.warning("blob %s left for cleanup", key)
