"""The gallery: a user's avatars newest first, one page per avatar, paged by keyset, deletable.

A page is found by its neighbour query plus one aggregate (its position and the total), so a
page turn costs the same for the 3rd avatar as for the 3,000th.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core import gallery
from core.blobs import BlobStore, content_type_for_key
from core.db import unit_of_work
from core.errors import NotFound, StorageError
from core.models import Generation

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class EditedFrom:
    """The avatar an edit was made from: its place in the gallery, or None once deleted."""

    index: int | None
    total: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Avatar:
    generation_id: str
    user_id: int
    style: str
    created_at: datetime
    telegram_file_id: str | None
    edited_from: EditedFrom | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class GalleryPage:
    """One avatar as the gallery shows it: its place among the user's avatars, newest first."""

    avatar: Avatar
    index: int
    total: int

    @property
    def has_newer(self) -> bool:
        return self.index > 0

    @property
    def has_older(self) -> bool:
        return self.index < self.total - 1


@dataclass(frozen=True, slots=True, kw_only=True)
class AvatarImage:
    data: bytes
    content_type: str


class GalleryService:
    def __init__(self, *, sessions: async_sessionmaker[AsyncSession], blobs: BlobStore) -> None:
        self._sessions = sessions
        self._blobs = blobs

    async def newest(self, user_id: int) -> GalleryPage | None:
        """The first page, or None for an empty gallery."""
        async with unit_of_work(self._sessions) as session:
            found = await gallery.newest(session, user_id=user_id)
            return await _page(session, user_id, found) if found else None

    async def page(self, user_id: int, gen_id: str) -> GalleryPage:
        """An avatar of this user; NotFound for a foreign, deleted or unfinished one."""
        async with unit_of_work(self._sessions) as session:
            return await _page(session, user_id, await _owned(session, user_id, gen_id))

    async def turn(self, user_id: int, gen_id: str, *, older: bool) -> GalleryPage | None:
        """The page next to `gen_id` (▶ is older); None at either end of the gallery."""
        async with unit_of_work(self._sessions) as session:
            anchor = await _owned(session, user_id, gen_id)
            found = await gallery.neighbour(session, user_id=user_id, anchor=anchor, older=older)
            return await _page(session, user_id, found) if found else None

    async def for_message(
        self, *, user_id: int, chat_id: int, message_id: int
    ) -> GalleryPage | None:
        """The avatar a chat message shows (a reply to it names it), if it is this user's."""
        async with unit_of_work(self._sessions) as session:
            found = await gallery.find_by_result_message(
                session, user_id=user_id, chat_id=chat_id, message_id=message_id
            )
            return await _page(session, user_id, found) if found else None

    async def image(self, user_id: int, gen_id: str) -> AvatarImage:
        async with unit_of_work(self._sessions) as session:
            key = (await _owned(session, user_id, gen_id)).result_key
        if key is None:
            raise NotFound(f"avatar {gen_id} has no stored image")
        return AvatarImage(data=await self._blobs.get(key), content_type=content_type_for_key(key))

    async def remember_file_id(self, user_id: int, gen_id: str, file_id: str) -> None:
        async with unit_of_work(self._sessions) as session:
            await gallery.set_file_id(session, user_id=user_id, gen_id=gen_id, file_id=file_id)

    async def delete(self, user_id: int, gen_id: str) -> GalleryPage | None:
        """Delete an avatar; return the page to show next (older, else newer), None if empty.

        The row first, then its blobs: a storage failure leaves blobs without a row, which
        `python -m bot cleanup` removes, never a row pointing at an avatar that is gone. The
        original stays while another take on the same photo still uses it.
        """
        async with unit_of_work(self._sessions) as session:
            item = await _owned(session, user_id, gen_id, lock=True)
            following = await gallery.neighbour(
                session, user_id=user_id, anchor=item, older=True
            ) or await gallery.neighbour(session, user_id=user_id, anchor=item, older=False)
            if not await gallery.delete_owned(session, user_id=user_id, gen_id=gen_id):
                raise NotFound(f"no avatar {gen_id} for this user")
            keys = [item.result_key, *item.original_keys[1:]]  # an album's other photos
            if not await gallery.original_in_use(session, user_id=user_id, key=item.original_key):
                keys.append(item.original_key)
            after = await _page(session, user_id, following) if following else None
        await self._delete_blobs([key for key in keys if key], gen_id, user_id)
        log.info("avatar deleted", extra={"generation_id": gen_id, "user_id": user_id})
        return after

    async def _delete_blobs(self, keys: list[str], gen_id: str, user_id: int) -> None:
        for key in keys:
            try:
                await self._blobs.delete(key)
            except StorageError:
                log.warning(
                    "blob %s left for cleanup",
                    key,
                    extra={"generation_id": gen_id, "user_id": user_id},
                )


async def _owned(
    session: AsyncSession, user_id: int, gen_id: str, *, lock: bool = False
) -> Generation:
    found = await gallery.get_completed(session, user_id=user_id, gen_id=gen_id, lock=lock)
    if found is None:
        raise NotFound(f"no avatar {gen_id} for this user")
    return found


async def _edited_from(
    session: AsyncSession, user_id: int, parent_id: str | None, total: int
) -> EditedFrom | None:
    """One more query, and only for an edit: where its parent sits in the gallery now."""
    if parent_id is None:
        return None
    parent = await gallery.get_completed(session, user_id=user_id, gen_id=parent_id)
    if parent is None:
        return EditedFrom(index=None, total=total)
    index, _ = await gallery.position_and_total(session, user_id=user_id, item=parent)
    return EditedFrom(index=index, total=total)


async def _page(session: AsyncSession, user_id: int, item: Generation) -> GalleryPage:
    index, total = await gallery.position_and_total(session, user_id=user_id, item=item)
    avatar = Avatar(
        generation_id=item.id,
        user_id=item.user_id,
        style=item.style,
        created_at=item.created_at,
        telegram_file_id=item.telegram_file_id,
        edited_from=await _edited_from(session, user_id, item.parent_id, total),
    )
    return GalleryPage(avatar=avatar, index=index, total=total)
