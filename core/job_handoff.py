"""A new job handed straight to a free worker of this process, instead of queued and claimed.

The job is inserted already leased to this process (`core.generations.insert_queued` with a
`Lease`) and its task starts as soon as that transaction commits: no claim transaction and no
dispatcher wake-up stand between a paid photo and its model call. A slot is only handed out
when one is free and the dispatcher last found the queue empty, so a hand-off never overtakes
queued work; otherwise the job is queued and the dispatcher woken, as ever.

What a crash leaves is what a claim leaves: a running row leased to this process, which a
restart takes back at once (`WorkerPool` start-up) or the sweeper once the lease ends.
"""

from __future__ import annotations

from typing import Protocol

from core.generations import Lease
from core.models import Generation


class WorkerSlot(Protocol):
    """One free worker, held for a job about to be inserted; exactly one of `start` (the
    insert committed) or `give_back` (it did not) must follow."""

    @property
    def lease(self) -> Lease: ...

    def start(self, job: Generation) -> None: ...

    def give_back(self) -> None: ...


class LocalWorkers(Protocol):
    async def take_slot(self) -> WorkerSlot | None:
        """A free worker for a new job, or None: queue it and `notify` instead."""
        ...

    def notify(self) -> None:
        """A job was queued: claim it now instead of at the next poll."""
        ...
