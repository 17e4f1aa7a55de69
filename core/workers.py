"""The worker pool and the sweeper.

One dispatcher claims jobs while a slot is free and runs each in its own task, so N slots give
N concurrent generations without N loops hammering the database for the same row. Submissions
in this process wake the dispatcher at once; jobs queued by other processes are found by a
short poll. The sweeper hands expired leases back to the queue, or fails and refunds them
once their attempts are spent. At start-up the pool first ends the leases its own instance
held before a restart (`instance_id`, see `core.instance`): that process is gone, so its jobs
need not wait out their lease.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core import claims, generations
from core.db import unit_of_work
from core.db_gate import jobs_first
from core.delivery_port import JobPolicy
from core.errors import RecoveryGaveUp
from core.generations import Lease
from core.jobs import JobRunner
from core.models import Generation
from core.task_stopping import cancel_and_wait

log = logging.getLogger(__name__)

# Jobs claimed in one transaction at most, when that many slots are free: a burst's queue is
# taken in a few transactions, while one process cannot hoard what other processes could run.
CLAIM_BATCH = 8


def _job_context() -> contextvars.Context:
    """A job's task context: jobs' place at the database gate, not the place of the update
    whose handler handed the job over."""
    context = contextvars.Context()
    context.run(jobs_first)
    return context


@dataclass(frozen=True, eq=False)
class _HandedSlot:
    """`core.job_handoff.WorkerSlot`: one of the pool's slots, taken for a hand-off (its
    one use, start or give back, is `core.job_handoff.next_worker`'s to enforce)."""

    lease: Lease
    start: Callable[[Generation], None]
    give_back: Callable[[], None]


class WorkerPool:
    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        runner: JobRunner,
        policy: JobPolicy,
        workers: int,
        sweep_interval: float = 5.0,
        poll_interval: float = 1.0,
        instance_id: str | None = None,
    ) -> None:
        self._sessions = sessions
        self._runner = runner
        self._policy = policy
        self._slots = asyncio.Semaphore(workers)
        self._workers = workers
        self._sweep_interval = sweep_interval
        self._poll_interval = poll_interval
        self._instance_id = instance_id
        self._wake = asyncio.Event()
        self._queue_empty = False  # the dispatcher's last claim found nothing more: it waits
        self._stopping = asyncio.Event()
        self._running: dict[asyncio.Task[None], Generation] = {}
        self._loops: list[asyncio.Task[None]] = []
        self.last_beat = time.monotonic()

    @property
    def instance_id(self) -> str | None:
        return self._instance_id

    @property
    def in_flight(self) -> int:
        return len(self._running)

    @property
    def waiting_for_work(self) -> bool:
        """The dispatcher found the queue empty and waits: a new job may be handed over."""
        return self._queue_empty

    @property
    def alive(self) -> bool:
        """True while the loops run and have ticked recently (for /healthz)."""
        if not self._loops or any(task.done() for task in self._loops):
            return False
        stale_after = max(self._poll_interval, self._sweep_interval) * 3 + 5
        return time.monotonic() - self.last_beat < stale_after

    def notify(self) -> None:
        """A job was queued in this process: claim it now instead of at the next poll."""
        self._wake.set()

    async def take_slot(self) -> _HandedSlot | None:
        """A free slot for a job about to be inserted already leased to this process
        (`core.job_handoff`); None while the dispatcher has queued work to claim, every
        slot is busy, or the pool is stopping."""
        if self._stopping.is_set() or self._wake.is_set():
            return None  # stopping, or a job was just queued: it goes first
        if not self.waiting_for_work or self._slots.locked():
            return None
        await self._slots.acquire()  # free: returns at once, with no other task run between
        lease = Lease(owner=self._instance_id, seconds=self._policy.lease_seconds)
        return _HandedSlot(lease, start=self._start_handed, give_back=self._slots.release)

    def _start_handed(self, job: Generation) -> None:
        if self._stopping.is_set():  # stop() no longer waits for new tasks: leave the lease
            self._slots.release()  # to the restart (or the sweeper), as a crash would
            log.warning("stopping: a handed-over job waits for its lease to end",
                        extra={"generation_id": job.id, "user_id": job.user_id})  # fmt: skip
            return
        task = asyncio.create_task(
            self._run(job), name=f"generation-{job.id}", context=_job_context()
        )
        self._running[task] = job

    async def start(self) -> None:
        self._stopping.clear()
        await self._reclaim_own()
        await self.sweep()
        self._loops = [asyncio.create_task(self._sweep_loop(), name="sweeper")]
        if self._workers > 0:
            self._loops.append(asyncio.create_task(self._dispatch_loop(), name="dispatcher"))

    async def stop(self, grace: float) -> None:
        """Stop claiming, give running jobs `grace` seconds, then hand the rest back."""
        self._stopping.set()
        self._wake.set()
        await cancel_and_wait(*self._loops)
        self._loops = []
        if self._running:
            await asyncio.wait(list(self._running), timeout=grace)
        leftovers = dict(self._running)
        await cancel_and_wait(*leftovers)
        for job in leftovers.values():
            with contextlib.suppress(Exception):
                async with unit_of_work(self._sessions) as session:
                    await claims.release(session, gen_id=job.id, attempt=job.attempts)
            log.info(
                "released at shutdown", extra={"generation_id": job.id, "user_id": job.user_id}
            )

    async def sweep(self) -> None:
        async with unit_of_work(self._sessions) as session:
            requeued = await claims.requeue_expired(session, max_attempts=self._policy.max_attempts)
            exhausted = await claims.exhausted_expired(
                session, max_attempts=self._policy.max_attempts
            )
        for gen_id in requeued:
            log.warning("lease expired; job requeued", extra={"generation_id": gen_id})
        for gen_id, attempt in exhausted:
            await self._runner.fail(gen_id, attempt, RecoveryGaveUp("lease expired too many times"))
        if requeued:
            self._wake.set()

    async def _dispatch_loop(self) -> None:
        jobs_first()  # claims, and the jobs started from here, get connections first
        while not self._stopping.is_set():
            self.last_beat = time.monotonic()
            await self._slots.acquire()
            slots = 1
            while slots < CLAIM_BATCH and not self._slots.locked():
                await self._slots.acquire()  # free: returns at once
                slots += 1
            self._wake.clear()  # before claiming, so a submit during the claim is not missed
            try:
                jobs = await self._claim(slots)
            except Exception:
                log.exception("claiming a job failed")
                jobs = []
            for _ in range(slots - len(jobs)):
                self._slots.release()
            for job in jobs:
                task = asyncio.create_task(self._run(job), name=f"generation-{job.id}")
                self._running[task] = job
            if len(jobs) < slots:  # the queue ran dry: wait for a submit, a requeue or a poll
                self._queue_empty = True
                try:
                    await self._idle()
                finally:
                    self._queue_empty = False

    async def _run(self, job: Generation) -> None:
        """A finished job frees its slot (a dispatcher waiting for one goes on); only a job
        handed back to the queue wakes an idle dispatcher, which otherwise has nothing to
        claim: a drained burst costs no empty claim per finished job."""
        requeued = True
        try:
            requeued = await self._runner.run(job)
        finally:
            self._running.pop(asyncio.current_task(), None)  # type: ignore[arg-type]
            self._slots.release()
            if requeued:
                self._wake.set()

    async def _claim(self, limit: int) -> list[Generation]:
        async with unit_of_work(self._sessions) as session:
            return await generations.claim_jobs(
                session,
                limit=limit,
                lease_seconds=self._policy.lease_seconds,
                owner=self._instance_id,
            )

    async def _reclaim_own(self) -> None:
        if not self._instance_id:
            return
        async with unit_of_work(self._sessions) as session:
            reclaimed = await claims.expire_own(session, owner=self._instance_id)
        if reclaimed:
            log.warning(
                "reclaimed %d job(s) this instance held before it restarted",
                reclaimed,
                extra={"instance_id": self._instance_id},
            )

    async def _idle(self) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=self._poll_interval)

    async def _sweep_loop(self) -> None:
        # Checks `_stopping` too: a cancellation swallowed inside a sweep (the database
        # driver can eat it) must not leave `stop()` waiting for this loop forever.
        while not self._stopping.is_set():
            await asyncio.sleep(self._sweep_interval)
            self.last_beat = time.monotonic()
            try:
                await self.sweep()
            except Exception:
                log.exception("sweep failed")
