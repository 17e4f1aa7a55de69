"""ledger: photo submissions per second for 1, 10 and 100 concurrent users.

A submission is the use case the photo handler calls, `SubmissionService.submit_photo`: validate
and re-encode the image, store the original blob, then charge the credits, write the ledger
row and queue the generation in one transaction. The services are opened in this process from
Settings exactly as the bot opens them (core.bootstrap.open_services) with no workers running,
and a 64×64 photo keeps image work small so the database path dominates. Alongside, `charge`
is the ledger alone: `core.ledger.charge` in its own unit of work, per call.

Each user submits one after another for a fixed time; the users run concurrently. After each
case the invariants are checked: every balance equals its ledger sum, and there is one charge
per queued generation.

    python -m bench.ledger [--quick] [--seconds 5] [--databases sqlite,postgresql]
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from bench.output import JsonDict, machine, out_dir, parser, save_figure, save_json, table
from bench.scratch import (
    DbKind,
    chosen_databases,
    register_users,
    scratch_database,
    scratch_dir,
    usable_databases,
)
from bench.stats import summary
from core import ledger
from core.bootstrap import Services, open_services
from core.db import unit_of_work
from core.errors import InsufficientCredits
from core.models import Generation, LedgerEntry, User
from core.services.submissions import PhotoSubmission
from core.settings_loading import load_settings
from tests.fakes import images
from tests.fakes.delivery import FakeDelivery

NAME = "ledger"
CREDITS = 10_000_000


@dataclass(frozen=True)
class Plan:
    concurrency: tuple[int, ...]
    seconds: float


FULL = Plan(concurrency=(1, 10, 100), seconds=5.0)
QUICK = Plan(concurrency=(1, 4), seconds=0.5)

Operation = Callable[[Services, int, int], Awaitable[None]]
PHOTO = images.jpeg(64, 64)


async def submit(services: Services, user_id: int, number: int) -> None:
    await services.features.submissions.submit_photo(
        PhotoSubmission(user_id=user_id, chat_id=user_id, source_message_id=number, image=PHOTO)
    )


async def charge(services: Services, user_id: int, number: int) -> None:
    async with unit_of_work(services.sessions) as session:
        await ledger.charge(
            session, user_id=user_id, cost=1, key=f"bench-charge:{user_id}:{number}"
        )


OPERATIONS: dict[str, Operation] = {"submit": submit, "charge": charge}


async def open_bench_services(url: str, work: Path) -> Services:
    settings = load_settings(
        telegram_bot_token="123456:BENCH-TOKEN-not-used-0000000000",
        openrouter_api_key="sk-or-bench-not-used",
        database_url=url,
        storage_url=f"file:{work / 'blobs'}",
        max_active_per_user=10**9,  # no workers run: every submission stays queued
        workers=0,
    )
    return await open_services(settings, delivery=FakeDelivery(), migrate=False)


async def run_case(
    services: Services, operation: str, users: list[int], seconds: float
) -> JsonDict:
    act = OPERATIONS[operation]
    numbers = itertools.count(1)
    latencies: list[float] = []
    refused = 0
    deadline = time.monotonic() + seconds

    async def one_user(user_id: int) -> None:
        nonlocal refused
        while time.monotonic() < deadline:
            began = time.monotonic()
            try:
                await act(services, user_id, next(numbers))
            except InsufficientCredits:
                refused += 1
                return
            latencies.append(time.monotonic() - began)

    started = time.monotonic()
    await asyncio.gather(*(one_user(u) for u in users))
    elapsed = time.monotonic() - started
    return {
        "operation": operation,
        "concurrent_users": len(users),
        "completed": len(latencies),
        "refused": refused,
        "seconds": elapsed,
        "per_second": len(latencies) / elapsed,
        "latency": summary(latencies),
    }


async def invariants(services: Services) -> JsonDict:
    async with unit_of_work(services.sessions) as session:
        sums = dict(
            (
                await session.execute(
                    select(LedgerEntry.user_id, func.sum(LedgerEntry.delta)).group_by(
                        LedgerEntry.user_id
                    )
                )
            ).all()
        )
        balances = dict((await session.execute(select(User.id, User.credits))).all())
        queued = await session.scalar(select(func.count()).select_from(Generation))
        charges = await session.scalar(
            select(func.count())
            .select_from(LedgerEntry)
            .where(LedgerEntry.kind == ledger.LedgerKind.CHARGE)
        )
    mismatched = [u for u, credits in balances.items() if sums.get(u, 0) != credits]
    return {
        "balances_equal_ledger_sums": not mismatched,
        "users_checked": len(balances),
        "generations": int(queued or 0),
        "charges": int(charges or 0),
    }


async def run_database(kind: DbKind, plan: Plan, work: Path) -> list[JsonDict]:
    rows: list[JsonDict] = []
    for operation in OPERATIONS:
        for concurrency in plan.concurrency:
            async with scratch_database(kind, work) as url:
                users = list(range(1, concurrency + 1))
                await register_users(url, users, credits=CREDITS)
                services = await open_bench_services(url, work / f"{operation}{concurrency}")
                try:
                    row = await run_case(services, operation, users, plan.seconds)
                    row["invariants"] = await invariants(services)
                finally:
                    await services.close()
            row["database"] = kind
            print(f"    {kind} {operation} × {concurrency}: {row['per_second']:.0f}/s", flush=True)
            rows.append(row)
    return rows


def plot(payload: JsonDict, out: Path) -> Path:
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, 2, figsize=(11, 4.5))
    for axis, operation in zip(axes, OPERATIONS, strict=True):
        for kind in sorted({r["database"] for r in payload["results"]}):
            rows = [
                r
                for r in payload["results"]
                if r["database"] == kind and r["operation"] == operation
            ]
            axis.plot(
                [r["concurrent_users"] for r in rows],
                [r["per_second"] for r in rows],
                "o-",
                label=kind,
            )
        axis.set_xscale("log")
        axis.set_xlabel("concurrent users (each one after another)")
        axis.set_ylabel(f"{operation}s per second")
        axis.set_title("submit_photo (intake + blob + charge/queue)" if operation == "submit"
                       else "ledger.charge alone")  # fmt: skip
        axis.set_ylim(bottom=0)
        axis.legend()
    return save_figure(figure, out, NAME)


async def run(plan: Plan, databases: list[DbKind], out: Path) -> JsonDict:
    usable, skipped = await usable_databases(databases)
    results: list[JsonDict] = []
    with scratch_dir(NAME) as tmp:
        for kind in usable:
            print(f"[{NAME}] {kind} ...", flush=True)
            results += await run_database(kind, plan, Path(tmp) / kind)
    payload: JsonDict = {
        "benchmark": NAME,
        "machine": machine(),
        "plan": {"concurrency": list(plan.concurrency), "seconds": plan.seconds},
        "skipped": skipped,
        "results": results,
    }
    save_json(out, NAME, payload)
    plot(payload, out)
    print(report(payload))
    return payload


def report(payload: JsonDict) -> str:
    rows: list[list[Any]] = [
        [
            r["database"],
            r["operation"],
            r["concurrent_users"],
            f"{r['per_second']:.0f}",
            f"{r['latency']['p50'] * 1000:.1f}",
            f"{r['latency']['p99'] * 1000:.1f}",
            "yes" if r["invariants"]["balances_equal_ledger_sums"] else "NO",
        ]
        for r in payload["results"]
    ]
    headers = ["db", "operation", "users", "per second", "p50 ms", "p99 ms", "balance = Σ ledger"]
    return table(headers, rows)


def main(argv: list[str] | None = None) -> JsonDict:
    cli = parser(NAME, __doc__.splitlines()[0] if __doc__ else NAME)
    cli.add_argument("--seconds", type=float, default=None, help="duration of each case")
    args = cli.parse_args(argv)
    plan = QUICK if args.quick else FULL
    if args.seconds:
        plan = replace(plan, seconds=args.seconds)
    return asyncio.run(run(plan, chosen_databases(args), out_dir(args)))


if __name__ == "__main__":
    main()
