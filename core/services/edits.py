"""Reply to edit: a text reply to one of your avatars makes a new avatar from it (§12).

The parent is found by the replied-to message and the user together, so a foreign, forged,
deleted or unfinished avatar is simply not found. The parent's image is copied to the edit's
own original before the charge (a blob the edit owns, like a photo's original): deleting
either avatar later leaves the other whole. Charge and queue are one transaction keyed by
the reply's message, so a redelivered reply is charged once.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core import gallery, generations, ledger
from core.blobs import BlobStore, content_type_for_key, original_key
from core.charging import charge_and_insert
from core.db import unit_of_work
from core.errors import AIVengerError, InsufficientCredits, NotFound
from core.events import JobEvents, JobSummary
from core.job_handoff import LocalWorkers, next_worker
from core.models import GenerationStatus as Status
from core.services.submissions import Submitted, submitted_for_message
from core.styles import clean_caption

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class EditRequest:
    user_id: int
    chat_id: int
    source_message_id: int  # the reply
    replied_message_id: int  # the avatar replied to
    instruction: str


@dataclass(frozen=True, slots=True, kw_only=True)
class _Parent:
    id: str
    result_key: str
    style: str
    aspect_ratio: str


class EmptyInstruction(AIVengerError):
    """A reply to an avatar with nothing usable to change (no charge)."""

    code = "empty_instruction"


class EditService:
    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        blobs: BlobStore,
        cost: int,
        max_active: int,
        events: JobEvents,
        workers: LocalWorkers | None = None,
    ) -> None:
        self._sessions = sessions
        self._blobs = blobs
        self.cost = cost
        self._max_active = max_active
        self._events = events
        self._workers = workers

    async def submit_edit(self, request: EditRequest) -> Submitted:
        """NotFound when the reply is not to one of the user's avatars; a refusal (credits,
        active jobs) before anything is copied; else the queued (or earlier) edit."""
        instruction = clean_caption(request.instruction)
        earlier = await submitted_for_message(
            self._sessions, chat_id=request.chat_id, message_id=request.source_message_id
        )
        if earlier is not None:
            return earlier
        parent = await self._parent(request)
        if instruction is None:
            raise EmptyInstruction("the reply has no text to apply")
        image = await self._blobs.get(parent.result_key)
        content_type = content_type_for_key(parent.result_key)
        key = original_key(request.user_id, content_type)
        await self._blobs.put(key, image, content_type)
        try:
            submitted = await self._charge_and_queue(request, parent, key, instruction)
        except BaseException:
            with contextlib.suppress(Exception):
                await self._blobs.delete(key)  # no blob without its row
            raise
        if submitted.duplicate:
            await self._blobs.delete(key)
        return submitted

    async def _parent(self, request: EditRequest) -> _Parent:
        async with unit_of_work(self._sessions) as session:
            found = await gallery.find_by_result_message(
                session,
                user_id=request.user_id,
                chat_id=request.chat_id,
                message_id=request.replied_message_id,
            )
            if found is None or found.result_key is None:
                raise NotFound("the replied message is none of this user's avatars")
            balance = await ledger.balance(session, request.user_id)
            if balance < self.cost:
                raise InsufficientCredits(balance=balance, cost=self.cost)
            return _Parent(
                id=found.id,
                result_key=found.result_key,
                style=found.style,
                aspect_ratio=found.aspect_ratio,
            )

    async def _charge_and_queue(
        self, request: EditRequest, parent: _Parent, key: str, instruction: str
    ) -> Submitted:
        gen_id = generations.new_generation_id()
        job = generations.NewGeneration(
            user_id=request.user_id,
            chat_id=request.chat_id,
            source_message_id=request.source_message_id,
            status_message_id=None,
            style=parent.style,
            prompt_extra=instruction,
            aspect_ratio=parent.aspect_ratio,
            original_key=key,
            credits_used=self.cost,
            parent_id=parent.id,
        )
        try:
            async with next_worker(self._workers) as worker:
                async with unit_of_work(self._sessions) as session:
                    row, balance = await charge_and_insert(
                        session,
                        gen_id=gen_id,
                        job=job,
                        max_active=self._max_active,
                        leased=worker.lease,
                    )
                worker.start(row)
        except IntegrityError:
            existing = await submitted_for_message(
                self._sessions, chat_id=request.chat_id, message_id=request.source_message_id
            )
            if existing is None:
                raise
            return existing
        extra = {"generation_id": gen_id, "user_id": request.user_id}
        log.info("edit %s", "queued" if row.status == Status.QUEUED else "started", extra=extra)
        self._events.submitted(JobSummary.of(row))
        self._events.credits_moved(ledger.LedgerKind.CHARGE, self.cost)
        return Submitted(generation_id=gen_id, balance=balance, duplicate=False)
