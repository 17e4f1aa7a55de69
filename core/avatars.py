"""The use cases the bot calls: register, submit a photo, the gallery, delete, stats.

Each use case is one unit of work; no transaction is held across a network call, so a slow
upload or model never holds a database connection.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core import gallery, generations, ledger, users
from core.blobs import BlobStore, content_type_for_key, original_key
from core.db import unit_of_work
from core.errors import InsufficientCredits, NotFound, StorageError, TooManyActive
from core.events import JobEvents
from core.intake import prepare_image
from core.models import Generation, User
from core.styles import STYLES, clean_caption

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ServicePolicy:
    generation_cost: int = 10
    free_credits: int = 30
    max_active_per_user: int = 3


@dataclass(frozen=True, slots=True)
class PhotoSubmission:
    user_id: int
    chat_id: int
    source_message_id: int
    image: bytes
    caption: str | None = None
    status_message_id: int | None = None


@dataclass(frozen=True, slots=True)
class Submitted:
    generation_id: str
    balance: int
    duplicate: bool


@dataclass(frozen=True, slots=True)
class GalleryPage:
    """One avatar as the gallery shows it: its place among the user's avatars, newest first."""

    item: Generation
    index: int
    total: int


@dataclass(frozen=True, slots=True)
class UserStats:
    balance: int
    cost: int
    avatars: int
    last_created: datetime | None
    recent: list[ledger.LedgerLine]


class AvatarService:
    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        blobs: BlobStore,
        policy: ServicePolicy,
        events: JobEvents | None = None,
        on_queued: Callable[[], None] | None = None,
    ) -> None:
        self._sessions = sessions
        self._blobs = blobs
        self._policy = policy
        self._events = events or JobEvents()
        self._on_queued = on_queued

    @property
    def policy(self) -> ServicePolicy:
        return self._policy

    async def register(
        self, profile: users.Profile, *, referral_code: str | None = None
    ) -> users.Registration:
        async with unit_of_work(self._sessions) as session:
            registration = await users.register(
                session,
                profile=profile,
                free_credits=self._policy.free_credits,
                referral_code=referral_code,
            )
        if registration.granted:
            self._events.credits_moved(ledger.LedgerKind.GRANT, registration.granted)
        return registration

    async def user(self, user_id: int) -> User | None:
        async with unit_of_work(self._sessions) as session:
            return await users.find(session, user_id)

    async def is_known_photo(self, *, chat_id: int, message_id: int) -> bool:
        """True when this Telegram message was already submitted (a redelivered update)."""
        async with unit_of_work(self._sessions) as session:
            found = await generations.find_by_source(
                session, chat_id=chat_id, source_message_id=message_id
            )
        return found is not None

    async def ensure_can_submit(self, user_id: int) -> None:
        """Refuse early (before any download) what the charge would refuse anyway."""
        async with unit_of_work(self._sessions) as session:
            balance = await ledger.balance(session, user_id)
            if balance < self._policy.generation_cost:
                raise InsufficientCredits(balance=balance, cost=self._policy.generation_cost)
            if await generations.count_active(session, user_id) >= self._policy.max_active_per_user:
                raise TooManyActive(limit=self._policy.max_active_per_user)

    async def submit_photo(self, submission: PhotoSubmission) -> Submitted:
        """Validate, store the original, then charge and queue in one transaction."""
        prepared = await prepare_image(submission.image)
        await self.ensure_can_submit(submission.user_id)
        key = original_key(submission.user_id)
        await self._blobs.put(key, prepared.jpeg, "image/jpeg")
        try:
            return await self._charge_and_queue(submission, key, prepared.aspect_ratio)
        except BaseException:
            with contextlib.suppress(Exception):
                await self._blobs.delete(key)  # no blob without its row
            raise

    async def submit_again(
        self,
        *,
        user_id: int,
        gen_id: str,
        chat_id: int,
        source_message_id: int,
        status_message_id: int | None,
    ) -> Submitted:
        """Another take on an earlier photo, in the user's current style (charged anew)."""
        page = await self.gallery_item(user_id, gen_id)
        original = await self._blobs.get(page.item.original_key)
        return await self.submit_photo(
            PhotoSubmission(
                user_id=user_id,
                chat_id=chat_id,
                source_message_id=source_message_id,
                image=original,
                caption=page.item.prompt_extra,
                status_message_id=status_message_id,
            )
        )

    async def _charge_and_queue(
        self, submission: PhotoSubmission, key: str, aspect_ratio: str
    ) -> Submitted:
        gen_id = generations.new_generation_id()
        user_id = submission.user_id
        try:
            async with unit_of_work(self._sessions) as session:
                user = await users.get(session, user_id)
                balance = await ledger.charge(
                    session,
                    user_id=user_id,
                    cost=self._policy.generation_cost,
                    key=f"charge:{gen_id}",
                    reference=gen_id,
                )
                # The charge holds the user's row lock, so this count cannot race.
                if (
                    await generations.count_active(session, user_id)
                    >= self._policy.max_active_per_user
                ):
                    raise TooManyActive(limit=self._policy.max_active_per_user)
                row = await generations.insert_queued(
                    session,
                    gen_id=gen_id,
                    job=generations.NewGeneration(
                        user_id=user_id,
                        chat_id=submission.chat_id,
                        source_message_id=submission.source_message_id,
                        status_message_id=submission.status_message_id,
                        style=user.style,
                        prompt_extra=clean_caption(submission.caption),
                        aspect_ratio=aspect_ratio,
                        original_key=key,
                        credits_used=self._policy.generation_cost,
                    ),
                )
        except IntegrityError:
            existing = await self._existing(submission)
            if existing is None:
                raise
            await self._blobs.delete(key)
            return existing
        log.info("generation queued", extra={"generation_id": gen_id, "user_id": user_id})
        self._events.submitted(row)
        self._events.credits_moved(ledger.LedgerKind.CHARGE, self._policy.generation_cost)
        if self._on_queued:
            self._on_queued()
        return Submitted(gen_id, balance, duplicate=False)

    async def _existing(self, submission: PhotoSubmission) -> Submitted | None:
        async with unit_of_work(self._sessions) as session:
            found = await generations.find_by_source(
                session, chat_id=submission.chat_id, source_message_id=submission.source_message_id
            )
            if found is None:
                return None
            return Submitted(found.id, await ledger.balance(session, found.user_id), duplicate=True)

    async def gallery_at(self, user_id: int, index: int) -> GalleryPage | None:
        """The avatar at `index` (clamped into range), or None for an empty gallery."""
        async with unit_of_work(self._sessions) as session:
            _, total = await gallery.list_completed(session, user_id=user_id, offset=0, limit=0)
            if total == 0:
                return None
            index = min(max(index, 0), total - 1)
            rows, total = await gallery.list_completed(
                session, user_id=user_id, offset=index, limit=1
            )
            return GalleryPage(rows[0], index, total) if rows else None

    async def gallery_item(self, user_id: int, gen_id: str) -> GalleryPage:
        """An avatar of this user; NotFound for a foreign, deleted or unfinished one."""
        async with unit_of_work(self._sessions) as session:
            found = await gallery.get_owned(session, user_id=user_id, gen_id=gen_id)
            if found is None or found.status != "completed":
                raise NotFound(f"no avatar {gen_id} for this user")
            index = await gallery.position_of(session, user_id=user_id, generation=found)
            _, total = await gallery.list_completed(session, user_id=user_id, offset=0, limit=0)
            return GalleryPage(found, index, total)

    async def avatar_for_message(
        self, *, user_id: int, chat_id: int, message_id: int
    ) -> GalleryPage | None:
        async with unit_of_work(self._sessions) as session:
            found = await gallery.find_by_result_message(
                session, user_id=user_id, chat_id=chat_id, message_id=message_id
            )
        return await self.gallery_item(user_id, found.id) if found else None

    async def read_avatar(self, user_id: int, gen_id: str) -> tuple[bytes, str]:
        page = await self.gallery_item(user_id, gen_id)
        key = page.item.result_key
        if key is None:
            raise NotFound(f"avatar {gen_id} has no stored image")
        return await self._blobs.get(key), content_type_for_key(key)

    async def remember_file_id(self, user_id: int, gen_id: str, file_id: str) -> None:
        async with unit_of_work(self._sessions) as session:
            if await gallery.get_owned(session, user_id=user_id, gen_id=gen_id):
                await gallery.set_file_id(session, gen_id=gen_id, file_id=file_id)

    async def delete_avatar(self, user_id: int, gen_id: str) -> None:
        """The row first, then its blobs: a storage failure leaves blobs without a row, which
        `python -m bot cleanup` removes, never a row pointing at an avatar that is gone."""
        page = await self.gallery_item(user_id, gen_id)
        async with unit_of_work(self._sessions) as session:
            if not await gallery.delete_owned(session, user_id=user_id, gen_id=gen_id):
                raise NotFound(f"no avatar {gen_id} for this user")
        extra = {"generation_id": gen_id, "user_id": user_id}
        for key in (page.item.result_key, page.item.original_key):
            if key:
                try:
                    await self._blobs.delete(key)
                except StorageError:
                    log.warning("blob %s left for cleanup", key, extra=extra)
        log.info("avatar deleted", extra=extra)

    async def set_style(self, user_id: int, style: str) -> None:
        if style not in STYLES:
            raise NotFound(f"no style {style!r}")
        async with unit_of_work(self._sessions) as session:
            await users.set_style(session, user_id=user_id, style=style)

    async def set_language(self, user_id: int, language: str | None) -> None:
        async with unit_of_work(self._sessions) as session:
            await users.set_language(session, user_id=user_id, language=language)

    async def stats(self, user_id: int, *, recent: int = 5) -> UserStats:
        async with unit_of_work(self._sessions) as session:
            balance = await ledger.balance(session, user_id)
            _, made = await gallery.list_completed(session, user_id=user_id, offset=0, limit=0)
            return UserStats(
                balance=balance,
                cost=self._policy.generation_cost,
                avatars=made,
                last_created=await gallery.last_completed_at(session, user_id),
                recent=await ledger.history(session, user_id, limit=recent),
            )
