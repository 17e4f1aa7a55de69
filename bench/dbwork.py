"""dbwork: the database work one avatar costs, from the photo update to the delivered avatar.

The bot runs in this process (tests.e2e.harness.bot_world: the real Application on the
emulator and the OpenRouter fake) and SQLAlchemy events on its engine count every transaction
(`begin`), statement (`before_cursor_execute`, the driver-level BEGIN/COMMIT included) and
commit or rollback. Registered users (as /start leaves them) each send one photo, one after
another, and the next photo goes only once the previous avatar is delivered and its job has
ended, so every count between two photos belongs to one avatar. Counts are split by the task
that ran them: the durable inbox (storing and finishing updates), the update handlers
(intake), the dispatcher's claims, and the job itself.

Throughput is `python -m bench.ledger`'s (submissions/s); this says what each one costs.

    python -m bench.dbwork [--quick] [--databases sqlite,postgresql] [--photos N]
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.noise import noise_jpeg, noise_png
from bench.output import JsonDict, machine, out_dir, parser, save_figure, save_json, table
from bench.photos import photo_round_trip
from bench.scratch import (
    DbKind,
    chosen_databases,
    register_users,
    scratch_database,
    scratch_dir,
    usable_databases,
)
from bench.stats import summary
from tests.e2e.harness import BotWorld, bot_world

NAME = "dbwork"
# What one avatar costs; "sweeper" is periodic. "inbox" stores fetched updates (a transaction per
# batch) and marks them done (one per 50 ms of finished updates): amortised in a burst.
PHASES = ("inbox", "intake", "claim", "job", "other")


@dataclass(frozen=True)
class Plan:
    photos: int


FULL = Plan(photos=30)
QUICK = Plan(photos=3)


def phase_of_current_task() -> str:
    """Which part of the bot runs this statement, from the asyncio task's name."""
    try:
        task = asyncio.current_task()
    except RuntimeError:
        return "other"
    name = task.get_name() if task is not None else ""
    if name.startswith("generation-"):
        return "job"
    if name == "dispatcher":
        return "claim"
    if name in ("sweeper", "bench"):
        return name
    if name in ("album-questions", "queue-places"):  # periodic, like the sweeper
        return "sweeper"
    if name == "getUpdates" or name.startswith("inbox"):  # the polling loop stores the batch
        return "inbox"
    if name.startswith("update-") or "process_concurrent_update" in name:
        return "intake"
    return "other"  # unnamed tasks: lease heartbeats, chat actions


class DbCounter:
    """Transactions, statements and their kinds on one engine, by phase."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.counts: Counter[str] = Counter()
        sync = engine.sync_engine
        event.listen(sync, "begin", self._begin)
        event.listen(sync, "commit", lambda _c: self._add("commits"))
        event.listen(sync, "rollback", lambda _c: self._add("rollbacks"))
        event.listen(sync, "before_cursor_execute", self._statement)

    def _add(self, what: str) -> None:
        phase = phase_of_current_task()
        self.counts[f"{phase}.{what}"] += 1
        if phase in PHASES:
            self.counts[what] += 1

    def _begin(self, _connection: Any) -> None:
        self._add("transactions")

    def _statement(self, *args: Any) -> None:
        statement = str(args[2]).lstrip().split(None, 1)
        self._add("statements")
        if phase_of_current_task() in PHASES:
            self.counts[f"verb.{statement[0].upper() if statement else '?'}"] += 1

    def snapshot(self) -> Counter[str]:
        return Counter(self.counts)


async def run_database(kind: DbKind, plan: Plan, work: Path) -> JsonDict:
    photo = noise_jpeg(640, 480)
    ids = list(range(1, plan.photos + 2))
    per_avatar: list[dict[str, int]] = []
    async with scratch_database(kind, work) as url:
        await register_users(url, ids)
        async with bot_world(
            url,
            work,
            sweep_interval_seconds=15.0,  # the defaults, not the tests' short ones
            job_lease_seconds=90.0,
            configure=lambda _emu, model: setattr(model, "result_image", noise_png(256, 256)),
        ) as world:
            counter = DbCounter(world.services.engine)
            await photo_round_trip(world.emu, world.user(ids[-1]), photo)  # warm-up
            await settled(world)
            for user_id in ids[:-1]:
                before = counter.snapshot()
                await photo_round_trip(world.emu, world.user(user_id), photo)
                await settled(world)
                after = counter.snapshot()
                after.subtract(before)
                per_avatar.append({k: v for k, v in after.items() if v})
    return {"database": kind, "photos": plan.photos, "per_avatar": per_avatar, **totals(per_avatar)}


async def settled(world: BotWorld) -> None:
    """The job has ended (its completion's tail included); our own queries are tagged "bench"."""
    await asyncio.create_task(world.settled(60), name="bench")
    await asyncio.sleep(0.05)


def totals(rows: list[dict[str, int]]) -> JsonDict:
    keys = sorted({k for row in rows for k in row})
    return {
        "median": {k: summary([row.get(k, 0) for row in rows])["p50"] for k in keys},
        "max": {k: max(row.get(k, 0) for row in rows) for k in keys},
    }


def plot(payload: JsonDict, out: Path) -> Path:
    import matplotlib.pyplot as plt

    results = payload["results"]
    figure, axis = plt.subplots(figsize=(8, 4.5))
    width = 0.8 / max(1, len(results))
    for index, result in enumerate(results):
        median = result["median"]
        xs = [i + index * width for i in range(len(PHASES))]
        transactions = [median.get(f"{p}.transactions", 0) for p in PHASES]
        statements = [median.get(f"{p}.statements", 0) for p in PHASES]
        axis.bar(xs, statements, width, label=f"{result['database']} statements", alpha=0.5)
        axis.bar(xs, transactions, width * 0.5, label=f"{result['database']} transactions")
    axis.set_xticks([i + width * (len(results) - 1) / 2 for i in range(len(PHASES))], PHASES)
    axis.set_ylabel("per avatar (median)")
    axis.set_title("database work per avatar, photo update → delivered")
    axis.legend(fontsize=8)
    return save_figure(figure, out, NAME)


async def run(plan: Plan, databases: list[DbKind], out: Path) -> JsonDict:
    usable, skipped = await usable_databases(databases)
    results = []
    with scratch_dir(NAME) as tmp:
        for kind in usable:
            print(f"[{NAME}] {kind}: {plan.photos} photos one after another ...", flush=True)
            results.append(await run_database(kind, plan, Path(tmp) / kind))
    payload: JsonDict = {
        "benchmark": NAME,
        "machine": machine(),
        "measured": "bot in-process (bot_world); SQLAlchemy engine events, by asyncio task",
        "plan": {"photos": plan.photos},
        "skipped": skipped,
        "results": results,
    }
    save_json(out, NAME, payload)
    plot(payload, out)
    print(report(payload))
    return payload


def report(payload: JsonDict) -> str:
    rows: list[list[Any]] = []
    for result in payload["results"]:
        median = result["median"]
        for phase in (*PHASES, None, "sweeper"):
            prefix = f"{phase}." if phase else ""
            rows.append(
                [
                    result["database"],
                    phase or "total per avatar",
                    median.get(f"{prefix}transactions", 0),
                    median.get(f"{prefix}statements", 0),
                    median.get(f"{prefix}rollbacks", 0),
                ]
            )
    return table(["db", "phase", "transactions", "statements", "rollbacks"], rows)


def main(argv: list[str] | None = None) -> JsonDict:
    cli = parser(NAME, __doc__.splitlines()[0] if __doc__ else NAME)
    cli.add_argument("--photos", type=int, default=None, help="avatars to count")
    args = cli.parse_args(argv)
    plan = QUICK if args.quick else FULL
    if args.photos:
        plan = replace(plan, photos=args.photos)
    return asyncio.run(run(plan, chosen_databases(args), out_dir(args)))


if __name__ == "__main__":
    main()
