"""What a submitted job is made from (the message it answers and the stored original), for a new
photo or another take on an earlier avatar, and the queued row it becomes."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from core import gallery, generations
from core.errors import NotFound
from core.models import Generation
from core.styles import clean_caption


@dataclass(frozen=True, slots=True, kw_only=True)
class JobSource:
    """What a job is made from: the message it answers and the stored original."""

    user_id: int
    chat_id: int
    source_message_id: int
    original_key: str
    aspect_ratio: str
    caption: str | None
    parent_id: str | None = None  # another take on an edit is the same edit again


async def source_of_again(
    session: AsyncSession, user_id: int, gen_id: str, chat_id: int, source_message_id: int
) -> JobSource:
    """The earlier avatar's original, locked so a concurrent delete cannot take it away."""
    earlier: Generation | None = await gallery.get_completed(
        session, user_id=user_id, gen_id=gen_id, lock=True
    )
    if earlier is None:
        raise NotFound(f"no avatar {gen_id} for this user")
    return JobSource(
        user_id=user_id,
        chat_id=chat_id,
        source_message_id=source_message_id,
        original_key=earlier.original_key,
        aspect_ratio=earlier.aspect_ratio,
        caption=earlier.prompt_extra,
        parent_id=earlier.parent_id,
    )


def new_job(source: JobSource, *, style: str, cost: int) -> generations.NewGeneration:
    return generations.NewGeneration(
        user_id=source.user_id,
        chat_id=source.chat_id,
        source_message_id=source.source_message_id,
        status_message_id=None,
        style=style,
        prompt_extra=clean_caption(source.caption),
        aspect_ratio=source.aspect_ratio,
        original_key=source.original_key,
        credits_used=cost,
        parent_id=source.parent_id,
    )
