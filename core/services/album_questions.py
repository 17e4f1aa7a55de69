"""Albums that went quiet: claimed by exactly one process, which asks the user (or, past
MAX_ALBUM_PHOTOS, sends a hint and the photos are removed); albums nobody answered are removed.

The photos of an album arrive one update each, so no update knows that its album is complete:
the bot polls `due` (bot/album_questions.py). A process that claimed an album and died before
asking leaves it `asking`; it is claimed again after `ASKING_STUCK` (core/albums.py).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core import albums, users
from core.albums import AlbumStatus
from core.blobs import BlobStore
from core.clock import utcnow
from core.db import unit_of_work
from core.errors import StorageError

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class AlbumQuestion:
    """An album to answer now: a question, or (too_many) the hint that it was too big."""

    album_id: str
    user_id: int
    chat_id: int
    photos: int
    reply_to: int | None  # the album's first photo
    stale_question_id: int | None  # an earlier question, for an album that grew since
    too_many: bool
    language: str | None


class AlbumQuestionService:
    def __init__(self, *, sessions: async_sessionmaker[AsyncSession], blobs: BlobStore) -> None:
        self._sessions = sessions
        self._blobs = blobs

    async def due(self, *, quiet_seconds: float) -> list[AlbumQuestion]:
        """Claim the albums that went quiet; the caller asks each (or sends the hint)."""
        async with unit_of_work(self._sessions) as session:
            claimed = await albums.claim_due(session, quiet=timedelta(seconds=quiet_seconds))
            questions: list[AlbumQuestion] = []
            doomed: list[str] = []
            for album, before in claimed:
                parts = await albums.parts_of(session, album.id)
                too_many = before == AlbumStatus.OVERFLOW
                if not parts and not too_many:  # every photo was refused: nothing to ask
                    album.status = AlbumStatus.CHOSEN
                    continue
                if too_many:
                    doomed += [part.original_key for part in parts]
                    await albums.drop_parts(session, album.id)
                user = await users.find(session, album.user_id)
                questions.append(
                    AlbumQuestion(
                        album_id=album.id,
                        user_id=album.user_id,
                        chat_id=album.chat_id,
                        photos=len(parts),
                        reply_to=parts[0].message_id if parts else None,
                        stale_question_id=album.question_message_id,
                        too_many=too_many,
                        language=users.language_of(user) if user else None,
                    )
                )
        await self._remove_blobs(doomed)
        return questions

    async def question_sent(self, album_id: str, message_id: int) -> None:
        async with unit_of_work(self._sessions) as session:
            await albums.mark_asked(session, album_id=album_id, question_message_id=message_id)

    async def remove_abandoned(self, *, keep_hours: float) -> int:
        """Albums untouched for `keep_hours` (never answered, or long decided): photos, then
        rows. A crash in between leaves rows whose photos are gone; the next pass ends them."""
        before = utcnow() - timedelta(hours=keep_hours)
        async with unit_of_work(self._sessions) as session:
            stale = await albums.stale(session, before=before)
            keys = await albums.part_keys(session, stale) if stale else []
        if not stale:
            return 0
        await self._remove_blobs(keys)
        async with unit_of_work(self._sessions) as session:
            await albums.delete_albums(session, stale)
        log.info("removed %d abandoned album(s)", len(stale))
        return len(stale)

    async def _remove_blobs(self, keys: list[str]) -> None:
        for key in keys:
            try:
                await self._blobs.delete(key)
            except StorageError:
                log.warning("blob %s left for cleanup", key)
