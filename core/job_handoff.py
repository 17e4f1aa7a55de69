"""A new job handed straight to a free worker of this process, instead of queued and claimed.

The job is inserted already leased to this process (`core.generations.insert_queued` with a
`Lease`) and its task starts as soon as that transaction commits: no claim transaction and no
dispatcher wake-up stand between a paid photo and its model call. A slot is only handed out
when one is free and the dispatcher last found the queue empty, so a hand-off never overtakes
queued work; otherwise the job is queued and the dispatcher woken, as ever. Photos, their
"again" and edits are handed over; an album's jobs, several at once, are queued.

What a crash leaves is what a claim leaves: a running row leased to this process, which a
restart takes back at once (`WorkerPool` start-up) or the sweeper once the lease ends.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
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


class NextWorker:
    """Where the job about to be inserted will run: a free worker of this process (then its
    `lease` goes on the insert) or, `lease` None, the queue."""

    def __init__(self, workers: LocalWorkers | None, slot: WorkerSlot | None) -> None:
        self._workers = workers
        self._slot = slot

    @property
    def lease(self) -> Lease | None:
        return self._slot.lease if self._slot else None

    def start(self, job: Generation) -> None:
        """The insert committed: run the job on its worker, or wake the dispatcher."""
        slot, self._slot = self._slot, None
        if slot is not None:
            slot.start(job)
        elif self._workers is not None:
            self._workers.notify()

    def _give_back(self) -> None:
        slot, self._slot = self._slot, None
        if slot is not None:
            slot.give_back()


@contextlib.asynccontextmanager
async def next_worker(workers: LocalWorkers | None) -> AsyncIterator[NextWorker]:
    """For one job's insert-and-commit: a worker not started by the end of the block (the
    insert was refused, failed or cancelled, or the job existed already) is given back."""
    slot = await workers.take_slot() if workers is not None else None
    handover = NextWorker(workers, slot)
    try:
        yield handover
    finally:
        handover._give_back()
