"""What an album's choice queues: one job from all its photos, or one job per photo."""

from __future__ import annotations

from core import generations
from core.album_tables import AlbumPart
from core.styles import clean_caption


def jobs_for_choice(
    parts: list[AlbumPart], *, style: str, cost: int, together: bool
) -> list[generations.NewGeneration]:
    """ "One": the first photo leads (its message is the job's source, its shape the avatar's),
    the rest ride along as reference images. "Separate": each photo its own job."""
    caption = next((part.caption for part in parts if part.caption), None)
    groups = [parts] if together else [[part] for part in parts]
    return [
        generations.NewGeneration(
            user_id=group[0].user_id,
            chat_id=group[0].chat_id,
            source_message_id=group[0].message_id,
            status_message_id=None,
            style=style,
            prompt_extra=clean_caption(caption),
            aspect_ratio=group[0].aspect_ratio,
            original_key=group[0].original_key,
            credits_used=cost,
            extra_original_keys=tuple(part.original_key for part in group[1:]),
        )
        for group in groups
        if group
    ]
