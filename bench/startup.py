"""startup: `python -m bot` to its first getUpdates, on an empty and a 10 000-generation database.

The clock starts just before the process is spawned and stops when the emulator receives the
first getUpdates. The emulator's other calls split it: interpreter + imports + building the
Application (→ getMe), post_init: connect, migrate, sweep, start the workers (→ first
setMyCommands), then registering the command menu and starting to poll (→ getUpdates).

States: `fresh` (no schema yet: the bot migrates from nothing), `empty` (migrated, no rows),
`10k` (10 000 generations of 1 000 users with their ledgers, bulk inserted). The floor bot's
start-up is measured alongside, as the cost of Python + PTB alone.

    python -m bench.startup [--quick] [--repeats 3] [--databases sqlite,postgresql]
"""

from __future__ import annotations

import asyncio
import os
import random
import statistics
import uuid
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from bench.bot_process import BotKind, bot_process
from bench.fakes import fakes
from bench.output import JsonDict, machine, out_dir, parser, save_figure, save_json, table
from bench.scratch import DbKind, chosen_databases, scratch_database, scratch_dir, usable_databases
from core.clock import utcnow
from core.db import create_engine, create_session_factory, unit_of_work
from core.models import Generation, LedgerEntry, User

NAME = "startup"
TARGET_SECONDS = 2.0
COST = 10


@dataclass(frozen=True)
class Plan:
    generations: int
    users: int
    repeats: int


FULL = Plan(generations=10_000, users=1_000, repeats=3)
QUICK = Plan(generations=200, users=20, repeats=1)


async def prefill(url: str, plan: Plan, seed: int = 7) -> JsonDict:
    """Users, their ledgers and generations in bulk; balances equal their ledger sums."""
    rng = random.Random(seed)
    now = utcnow()
    users: list[dict[str, Any]] = []
    entries: list[dict[str, Any]] = []
    rows: list[dict[str, Any]] = []
    owners = [rng.randrange(plan.users) + 1 for _ in range(plan.generations)]
    made = {uid: owners.count(uid) for uid in range(1, plan.users + 1)}
    failed_of: dict[int, int] = dict.fromkeys(made, 0)
    for number, user_id in enumerate(owners):
        gen_id = uuid.UUID(int=rng.getrandbits(128)).hex
        created = now - timedelta(minutes=plan.generations - number)
        failed = rng.random() < 0.03
        failed_of[user_id] += failed
        rows.append(
            {
                "id": gen_id,
                "user_id": user_id,
                "chat_id": user_id,
                "source_message_id": number + 1,
                "result_message_id": None if failed else number + 2,
                "status": "failed" if failed else "completed",
                "style": "superhero",
                "aspect_ratio": "3:4",
                "original_key": f"originals/{user_id}/{gen_id}.jpg",
                "result_key": None if failed else f"avatars/{user_id}/{gen_id}.png",
                "telegram_file_id": None if failed else f"AgACAgIAAxkBAA{number:08d}",
                "credits_used": COST,
                "error_code": "model_refused" if failed else None,
                "attempts": 1,
                "created_at": created,
                "updated_at": created,
                "completed_at": None if failed else created,
            }
        )
        entries.append(_entry(user_id, -COST, "charge", f"charge:{gen_id}", created))
        if failed:
            entries.append(_entry(user_id, COST, "refund", f"refund:{gen_id}", created))
    for user_id, count in made.items():
        credits = 30 + COST * failed_of[user_id]
        users.append(
            {
                "id": user_id,
                "first_name": f"User{user_id}",
                "language_code": "en",
                "credits": credits,
                "referral_code": f"r{user_id:07d}",
                "created_at": now - timedelta(days=30),
                "updated_at": now,
            }
        )
        entries.append(_entry(user_id, 30, "grant", f"welcome:{user_id}", now))
        if count:
            entries.append(_entry(user_id, COST * count, "admin", f"bench:{user_id}", now))
    engine = create_engine(url)
    try:
        async with unit_of_work(create_session_factory(engine)) as session:
            await session.execute(insert(User), users)
            await session.execute(insert(LedgerEntry), entries)
            await session.execute(insert(Generation), rows)
    finally:
        await engine.dispose()
    return {"users": len(users), "ledger_rows": len(entries), "generations": len(rows)}


def _entry(user_id: int, delta: int, kind: str, key: str, at: Any) -> dict[str, Any]:
    return {
        "user_id": user_id,
        "delta": delta,
        "kind": kind,
        "idempotency_key": key,
        "reference": None,
        "created_at": at,
    }


def phases(calls: dict[str, float], spawned: float, ready: float) -> JsonDict:
    get_me = calls.get("getMe", ready)
    menu = calls.get("setMyCommands", get_me)
    return {
        "to_get_me": get_me - spawned,
        "post_init": max(menu - get_me, 0.0),
        "to_polling": ready - max(menu, get_me),
    }


async def one_start(kind: BotKind, url: str, work: Path) -> JsonDict:
    load = os.getloadavg()[0]  # other work on the machine slows a start-up too
    async with fakes() as fake, bot_process(kind, fake, database_url=url, data_dir=work) as bot:
        first: dict[str, float] = {}
        for call in fake.emu.calls():
            first.setdefault(call.method, call.at)
        seconds = bot.startup_seconds
        split = phases(first, bot.spawned_at, bot.ready_at)
    return {"seconds": seconds, "load_average_1m": load, **split}


async def run_state(kind: DbKind, state: str, plan: Plan, work: Path) -> JsonDict:
    runs: list[JsonDict] = []
    filled: JsonDict = {}
    if state == "fresh":  # each start must find no schema, so each gets its own database
        for number in range(plan.repeats):
            async with scratch_database(kind, work, migrated=False) as url:
                runs.append(await one_start("aivenger", url, work / f"{state}{number}"))
    else:
        async with scratch_database(kind, work) as url:
            if state != "empty":
                filled = await prefill(url, plan)
            for number in range(plan.repeats):
                runs.append(await one_start("aivenger", url, work / f"{state}{number}"))
    return _row("aivenger", kind, state, runs, filled)


def _row(bot: BotKind, kind: str, state: str, runs: list[JsonDict], filled: JsonDict) -> JsonDict:
    seconds = [r["seconds"] for r in runs]
    median = statistics.median(seconds)
    middle = min(runs, key=lambda r: abs(r["seconds"] - median))
    return {
        "bot": bot,
        "database": kind,
        "state": state,
        "rows": filled,
        "median_seconds": median,
        "min_seconds": min(seconds),
        "max_seconds": max(seconds),
        "phases": {k: middle[k] for k in ("to_get_me", "post_init", "to_polling")},
        "runs": runs,
        "meets_target": max(seconds) < TARGET_SECONDS,
    }


def plot(payload: JsonDict, out: Path) -> Path:
    import matplotlib.pyplot as plt

    rows = payload["results"]
    labels = [
        "baseline" if r["bot"] == "baseline" else f"{r['database']}\n{r['state']}" for r in rows
    ]
    figure, axis = plt.subplots(figsize=(max(6, 1.3 * len(rows)), 4.5))
    bottom = [0.0] * len(rows)
    names = {
        "to_get_me": "interpreter, imports, build (→ getMe)",
        "post_init": "post_init: connect, migrate, sweep (→ setMyCommands)",
        "to_polling": "menu, start polling (→ getUpdates)",
    }
    for key, name in names.items():
        values = [r["phases"][key] for r in rows]
        axis.bar(labels, values, bottom=bottom, label=name)
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    axis.axhline(TARGET_SECONDS, color="k", linestyle=":", label=f"target {TARGET_SECONDS:g} s")
    axis.set_ylabel("seconds from spawn to first getUpdates (median run)")
    axis.set_title("startup: python -m bot")
    axis.legend(fontsize=8)
    return save_figure(figure, out, NAME)


async def run(plan: Plan, databases: list[DbKind], out: Path) -> JsonDict:
    usable, skipped = await usable_databases(databases)
    states = ["fresh", "empty", f"{plan.generations // 1000}k" if plan.generations >= 1000 else
              str(plan.generations)]  # fmt: skip
    results: list[JsonDict] = []
    with scratch_dir(NAME) as tmp:
        print(f"[{NAME}] baseline ...", flush=True)
        async with scratch_database("sqlite", Path(tmp)) as url:
            runs = [
                await one_start("baseline", url, Path(tmp) / f"b{n}") for n in range(plan.repeats)
            ]
        results.append(_row("baseline", "-", "-", runs, {}))
        for kind in usable:
            for state in states:
                print(f"[{NAME}] {kind} {state} ...", flush=True)
                results.append(await run_state(kind, state, plan, Path(tmp) / f"{kind}-{state}"))
    payload: JsonDict = {
        "benchmark": NAME,
        "machine": machine(),
        "plan": {"generations": plan.generations, "users": plan.users, "repeats": plan.repeats},
        "target_seconds": TARGET_SECONDS,
        "skipped": skipped,
        "results": results,
    }
    save_json(out, NAME, payload)
    plot(payload, out)
    print(report(payload))
    return payload


def report(payload: JsonDict) -> str:
    rows: list[list[Any]] = []
    for r in payload["results"]:
        p = r["phases"]
        rows.append(
            [
                r["bot"],
                r["database"],
                r["state"],
                f"{r['median_seconds']:.2f}",
                f"{r['min_seconds']:.2f}–{r['max_seconds']:.2f}",
                f"{p['to_get_me']:.2f}",
                f"{p['post_init']:.2f}",
                f"{p['to_polling']:.2f}",
            ]
        )
    headers = ["bot", "db", "state", "median s", "range s", "→getMe", "post_init", "→poll"]
    return table(headers, rows)


def main(argv: list[str] | None = None) -> JsonDict:
    cli = parser(NAME, __doc__.splitlines()[0] if __doc__ else NAME)
    cli.add_argument("--repeats", type=int, default=None, help="starts per case (median taken)")
    args = cli.parse_args(argv)
    plan = QUICK if args.quick else FULL
    if args.repeats:
        plan = replace(plan, repeats=args.repeats)
    return asyncio.run(run(plan, chosen_databases(args), out_dir(args)))


if __name__ == "__main__":
    main()
