"""One job charged and queued inside the caller's transaction, refused before any write.

The user's row is locked first, so the active-job count and the balance are read under the
same lock the charge takes: a refusal (`TooManyActive`, `InsufficientCredits`) leaves the
transaction untouched, and a caller queueing several jobs (an album's "separate avatars") can
stop at the first refusal and still commit the ones before it.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import generations, ledger
from core.errors import TooManyActive
from core.models import Generation, User


async def charge_and_insert(
    session: AsyncSession,
    *,
    gen_id: str,
    job: generations.NewGeneration,
    max_active: int,
    leased: generations.Lease | None = None,
) -> tuple[Generation, int]:
    """The new row (queued, or `leased` to a free worker: `core.job_handoff`) and the balance
    after its charge (`charge:<gen_id>`, exactly once)."""
    await session.execute(select(User.id).where(User.id == job.user_id).with_for_update())
    if await generations.count_active(session, job.user_id) >= max_active:
        raise TooManyActive(limit=max_active)
    balance = await ledger.charge(
        session,
        user_id=job.user_id,
        cost=job.credits_used,
        key=f"charge:{gen_id}",
        reference=gen_id,
    )
    row = await generations.insert_queued(session, gen_id=gen_id, job=job, leased=leased)
    return row, balance
