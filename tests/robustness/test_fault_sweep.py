"""The fault sweep (issue 12 item 8): every I/O point of the photo → avatar flow and of the
purchase flow, found by running the flow once, then each point × {die, raise, lost} on
SQLite and PostgreSQL; after a restart on the same database and blob directory, the end
state must be one of the flow's acceptable outcomes (tests/robustness/fault_sweep_flows.py).

`FAULT_SWEEP_TABLE=1` rewrites tests/robustness/fault_sweep_table.md (point × fault → outcome).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.blobs.local import LocalBlobStore
from core.cleanup import find_orphans, remove_orphans
from core.db import create_engine, create_session_factory
from playground.botapi import FakeUser
from tests.e2e.harness import text_of
from tests.e2e.test_payments import invoice_for
from tests.robustness import fault_sweep_flows as flows
from tests.robustness.fault_injection import FaultPlan
from tests.robustness.sweep_world import Universe, process, universe, until

pytestmark = pytest.mark.slow
TABLE = Path(__file__).with_name("fault_sweep_table.md")
USER = 1


@pytest.fixture
async def observer(database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """The test's own connection: it reads the books whatever the bot's processes do."""
    engine = create_engine(database_url)
    yield create_session_factory(engine)
    await engine.dispose()


def blob_keys(world: Universe) -> set[str]:
    root = world.blob_root
    return (
        {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}
        if root.exists()
        else set()
    )


async def start_user(world: Universe, plan: FaultPlan) -> FakeUser:
    user = world.emu.user(USER, first_name="Ada")
    await user.send_text("/start")
    await user.wait_for(lambda m: "Welcome" in text_of(m))
    return user


async def photo_life(
    world: Universe, observer: async_sessionmaker[AsyncSession], target: str | None, fault: str
) -> tuple[str, list[str]]:
    """Send a photo with one fault planned; restart if the process died; the outcome."""
    plan = FaultPlan(target=target, fault=fault)
    async with process(world, plan):
        user = await start_user(world, plan)
        plan.armed = True
        await flows.send_photo(user)

        async def ended() -> bool:
            return flows.photo_settled(user, await flows.books(observer, USER))

        await until(ended, timeout=8, plan=plan)
        plan.armed = False
    await _recover(world, observer, ended)
    swept = await _cleanup(world, observer)
    found = await flows.books(observer, USER)
    problems = flows.invariants(found, blob_keys(world))
    outcome = flows.photo_outcome(user, found) + swept
    return ("; ".join([outcome, *problems]) if problems else outcome), plan.trace


async def purchase_life(
    world: Universe, observer: async_sessionmaker[AsyncSession], target: str | None, fault: str
) -> tuple[str, list[str]]:
    plan = FaultPlan(target=target, fault=fault)
    paying: asyncio.Task[tuple[bool, str | None]] | None = None
    async with process(world, plan):
        user = await start_user(world, plan)
        invoice = await invoice_for(user)
        plan.armed = True
        paying = asyncio.create_task(user.pay(invoice))

        async def ended() -> bool:
            found = await flows.books(observer, USER)
            return flows.purchase_settled(user, found, paying is not None and paying.done())

        await until(ended, timeout=8, plan=plan)
        plan.armed = False
    await _recover(world, observer, ended)
    assert paying is not None
    await asyncio.gather(paying, return_exceptions=True)
    charged = [t["id"] for t in world.emu.star_transactions if "source" in t]
    found = await flows.books(observer, USER)
    problems = flows.invariants(found, blob_keys(world))
    outcome = flows.purchase_outcome(user, found, charged)
    return ("; ".join([outcome, *problems]) if problems else outcome), plan.trace


async def _recover(
    world: Universe,
    observer: async_sessionmaker[AsyncSession],
    ended: Callable[[], Awaitable[bool]],
) -> None:
    """A fresh process on the same database and blobs runs until the flow has ended and every
    stored update is processed (a dead process's leases run out first)."""

    async def drained() -> bool:
        return await ended() and not (await flows.books(observer, USER)).open_updates

    async with process(world, FaultPlan()):
        await until(drained, timeout=12)
        await asyncio.sleep(0.3)  # anything still to come (a second copy, a second notice)


async def _cleanup(world: Universe, observer: async_sessionmaker[AsyncSession]) -> str:
    """What a crash can leave between a blob's write and its row's commit is the operator's
    `python -m bot cleanup` to remove (docs/operations.md); it must find no stale row."""
    blobs = LocalBlobStore(world.blob_root)
    report = await find_orphans(observer, blobs, min_age=timedelta(0))
    await remove_orphans(observer, blobs, report)
    notes = [f"cleanup removed {len(report.orphan_blobs)} orphan blob"] * bool(report.orphan_blobs)
    notes += [f"; cleanup found stale rows {report.stale_rows}"] * bool(report.stale_rows)
    return f" ({''.join(notes)})" if notes else ""


LIVES = {"photo": photo_life, "purchase": purchase_life}
LIFE_SECONDS = 60.0


@pytest.mark.parametrize("flow", sorted(LIVES))
async def test_fault_sweep(
    flow: str, database_url: str, tmp_path: Path, observer: async_sessionmaker[AsyncSession]
) -> None:
    life = LIVES[flow]
    async with universe(database_url, tmp_path / "clean") as world:
        clean, points = await life(world, observer, None, "none")
    assert clean in ("delivered", "credited"), clean
    rows: list[tuple[str, str, str]] = []
    only = os.environ.get("FAULT_SWEEP_POINT")  # e.g. "tg:sendPhoto#1": debug one point
    for n, point in enumerate(points):
        if only and point != only:
            continue
        faults = ["die", "raise"] + (["lost"] if point.startswith("tg:") else [])
        for fault in faults:
            await _reset(observer)
            watchdog = asyncio.get_running_loop().call_later(LIFE_SECONDS - 1, _print_tasks)
            try:
                async with asyncio.timeout(LIFE_SECONDS):
                    async with universe(database_url, tmp_path / f"{n}-{fault}") as world:
                        outcome, _ = await life(world, observer, point, fault)
            except TimeoutError:
                outcome = f"BROKEN: hung for {LIFE_SECONDS:.0f} s (the stacks are printed above)"
            finally:
                watchdog.cancel()
            rows.append((point, fault, outcome))
            print(f"{point} × {fault} → {outcome}", flush=True)
    _write_table(flow, database_url, points, rows)
    broken = [row for row in rows if row[2].startswith("BROKEN") or ";" in row[2]]
    assert not broken, "\n".join(" × ".join(row) for row in broken)


def _print_tasks() -> None:
    """Where a life that is about to time out is stuck: every task's stack."""
    for task in asyncio.all_tasks():
        print(f"--- {task.get_name()}: {task.get_coro()}", flush=True)
        task.print_stack(limit=12)


async def _reset(observer: async_sessionmaker[AsyncSession]) -> None:
    from sqlalchemy import text

    from tests.db_fixtures import TABLES

    async with observer() as session, session.begin():
        if session.bind.dialect.name == "postgresql":
            await session.execute(text(f"TRUNCATE {TABLES}, payments CASCADE"))
        else:
            for table in [*TABLES.split(", "), "payments"][::-1]:
                await session.execute(text(f"DELETE FROM {table}"))


def _write_table(
    flow: str, database_url: str, points: list[str], rows: list[tuple[str, str, str]]
) -> None:
    if not os.environ.get("FAULT_SWEEP_TABLE"):
        return
    db = "postgresql" if database_url.startswith("postgresql") else "sqlite"
    section = [f"## {flow} · {db}", "", "| point | fault | outcome |", "|---|---|---|"]
    section += [f"| `{p}` | {f} | {o} |" for p, f, o in rows]
    sections = _sections()
    sections[f"{flow} · {db}"] = "\n".join(section) + "\n"
    header = (
        "# Fault sweep: point × fault → outcome\n\n"
        "Regenerated by `FAULT_SWEEP_TABLE=1 pytest tests/robustness/test_fault_sweep.py`; "
        "see that file for what each fault and outcome means.\n\n"
    )
    TABLE.write_text(header + "\n".join(sections[k] for k in sorted(sections)))


def _sections() -> dict[str, str]:
    if not TABLE.exists():
        return {}
    parts = TABLE.read_text().split("\n## ")[1:]
    return {part.split("\n", 1)[0]: "## " + part.rstrip("\n") + "\n" for part in parts}
