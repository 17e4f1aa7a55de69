"""burst: N users each send one photo at the same moment; how long until the last avatar?

The model answers in 3 s and the emulator enforces Telegram's ~30 messages/s for the whole bot
(send*/edit*/copy*/forward*; 429 with retry_after beyond it), so no bot can finish before the
physical limit L + N/30 s. Each case reports the wall time from the burst to the last avatar
received by the emulator, its ratio to that limit, the 429s the bot drew, whether it honoured
them (calls that arrived while a retry_after was still running) and the bot's peak RSS during
the burst (VmHWM, reset just before). AIVenger runs with its default settings (no WORKERS or
other tuning in its environment), next to the floor bot (bench/baseline.py). The target
(product.md §10): every avatar within 1.2 × (L + N/30), at most 5 429s.

`--workers 8,256` adds cases with WORKERS set; those whose worker bound N·L/W exceeds
--max-bound (60 s) are skipped unless --no-cap is given.

    python -m bench.burst [--quick] [--sizes 100,300,500] [--workers W,...] [--no-cap]
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path

from bench.bot_process import BotKind, bot_process
from bench.burst_report import plot, report
from bench.fakes import Fakes, fakes
from bench.memory import peak_rss, reset_peak
from bench.noise import noise_jpeg, noise_png
from bench.output import JsonDict, machine, out_dir, parser, save_json
from bench.photos import photo_round_trip, sent_photo_arrivals
from bench.scratch import (
    DbKind,
    chosen_databases,
    register_users,
    scratch_database,
    scratch_dir,
    usable_databases,
)
from bench.stats import CpuWatch, summary
from core.settings import Settings
from playground.botapi import ApiCall, BotApiEmulator, FakeUser

NAME = "burst"
TARGET_RATIO = 1.2
MAX_429 = 5
RATE_PER_SECOND = 30
DEFAULT_WORKERS = int(Settings.model_fields["workers"].default)
MESSAGE_PREFIXES = ("send", "edit", "copy", "forward")


@dataclass(frozen=True)
class Plan:
    sizes: tuple[int, ...]
    latency: float
    workers: tuple[int | None, ...]  # None: the bot's defaults
    max_bound: float | None  # skip AIVenger cases whose worker bound N·L/W exceeds this
    heavy_size: int | None  # one extra case where a first user sends 3 photos ahead of N-1 others
    input_size: tuple[int, int]
    result_side: int


FULL = Plan(
    sizes=(100, 300, 500),
    latency=3.0,
    workers=(None,),
    max_bound=60.0,
    heavy_size=100,
    input_size=(640, 480),
    result_side=256,
)
QUICK = Plan(
    sizes=(5,),
    latency=0.3,
    workers=(None,),
    max_bound=None,
    heavy_size=None,
    input_size=(320, 240),
    result_side=64,
)


@dataclass(frozen=True)
class Case:
    bot: BotKind
    database: DbKind | None
    workers: int | None
    size: int
    heavy: bool = False
    root: Path | None = None  # another checkout of the bot: a candidate change

    @property
    def name(self) -> str:
        if self.bot == "baseline":
            return "baseline"
        return f"aivenger-{self.database}" + ("-candidate" if self.root else "")

    @property
    def label(self) -> str:
        heavy = " heavy-first" if self.heavy else ""
        workers = f" W={self.workers}" if self.workers else " defaults" if self.database else ""
        return f"{self.name}{workers} N={self.size}{heavy}"


def floor_seconds(size: int, latency: float) -> float:
    return latency + size / RATE_PER_SECOND


def worker_bound(size: int, latency: float, workers: int) -> float:
    return latency * math.ceil(size / max(workers, 1))


def is_message_call(call: ApiCall) -> bool:
    name = call.method.lower()
    return name.startswith(MESSAGE_PREFIXES) and name != "sendchataction"


def honoured(calls: list[ApiCall], grace: float = 0.1) -> JsonDict:
    """429s answered, and message calls that still arrived inside a running retry_after.

    A call arriving within `grace` of a 429 was already on the wire when the bot got the 429,
    so it does not count against the bot.
    """
    limited = [
        (c.at, float(c.response.get("parameters", {}).get("retry_after", 1)))
        for c in calls
        if c.response.get("error_code") == 429
    ]
    early = 0
    for call in calls:
        if is_message_call(call) and any(
            at + grace < call.at < at + retry for at, retry in limited
        ):
            early += 1
    return {"received_429": len(limited), "calls_inside_retry_after": early}


async def run_case(
    case: Case, plan: Plan, photo: bytes, result: bytes, work: Path, profile: Path | None = None
) -> JsonDict:
    async with (
        fakes(model_latency=plan.latency, result_image=result) as fake,
        scratch_database(case.database or "sqlite", work) as url,
    ):
        ids = list(range(1, case.size + 1))
        if case.bot == "aivenger":
            await register_users(url, [*ids, 999_999])
        settings: dict[str, object] = {}
        if case.workers is not None:
            settings["workers"] = case.workers  # else the bot's own default
        async with bot_process(
            case.bot,
            fake,
            database_url=url,
            data_dir=work / "bot",
            settings=settings,
            root=case.root,
            profile=(
                profile / f"{NAME}-{case.label.replace(' ', '-')}.html"
                if profile and case.bot == "aivenger"
                else None
            ),
        ) as bot:
            await photo_round_trip(fake.emu, fake.emu.user(999_999), photo)  # warm-up
            row = await burst(fake, case, plan, photo, bot.pid)
    row["bot_log"] = bot.log_problems()
    return row


async def burst(fake: Fakes, case: Case, plan: Plan, photo: bytes, pid: int) -> JsonDict:
    emu = fake.emu
    users = [emu.user(user_id) for user_id in range(1, case.size + 1)]
    calls_before = len(emu.calls())
    emu.set_rate_limit(global_per_second=RATE_PER_SECOND)
    heavy = users[0] if case.heavy else None
    sent: list[tuple[FakeUser, int, int]] = []  # (user, first photo's message id, photos)
    reset_peak(pid)
    with CpuWatch(pid) as cpu:
        for user in users:  # sending does not yield to the loop: the bot sees them all at once
            count = 3 if user is heavy else 1  # the heavy user's photos head the queue
            ids = [(await user.send_photo(photo))["message_id"] for _ in range(count)]
            sent.append((user, ids[0], count))
        start = time.monotonic()
        photos = sum(count for _, _, count in sent)
        timeout = worker_bound(photos, plan.latency, case.workers or 256) + case.size / 10 + 120
        missing = await wait_for_avatars(emu, sent, timeout)
    peak = peak_rss(pid)
    arrivals = sent_photo_arrivals(emu)
    per_user: dict[int, list[float]] = {}
    for user, first, _ in sent:
        per_user[user.chat_id] = sorted(
            at - start
            for (chat, mid), at in arrivals.items()
            if chat == user.chat_id and mid > first
        )
    latencies = [s for times in per_user.values() for s in times]
    calls = emu.calls()[calls_before:]
    emu.set_rate_limit(None)
    messages = Counter(c.method for c in calls if c.response.get("ok") and is_message_call(c))
    actions = sum(1 for c in calls if c.method == "sendChatAction")
    wall = max(latencies) if latencies else float("nan")
    limits = honoured(calls)
    floor = floor_seconds(case.size, plan.latency)
    row: JsonDict = {
        "label": case.name,
        "candidate": str(case.root) if case.root else None,
        "bot": case.bot,
        "database": case.database,
        "workers": case.workers,
        "users": case.size,
        "photos": photos,
        "heavy_first": case.heavy,
        "delivered": len(latencies),
        "users_timed_out": missing,
        "wall_seconds": wall,
        "floor_seconds": floor,
        "ratio": wall / floor,
        "meets_target": (
            wall <= TARGET_RATIO * floor
            and len(latencies) == photos
            and limits["received_429"] <= MAX_429
        ),
        "worker_bound_seconds": (
            worker_bound(case.size, plan.latency, case.workers) if case.workers else None
        ),
        "peak_rss_bytes": peak,
        "latency": summary(latencies),
        "messages": dict(messages),
        "message_floor_seconds": plan.latency + sum(messages.values()) / RATE_PER_SECOND,
        "chat_actions": actions,
        **limits,
        "cpu_seconds": cpu.seconds,
        "samples": sorted(latencies),
    }
    if heavy is not None:
        row["fairness"] = fairness(per_user, heavy.chat_id)
    return row


async def wait_for_avatars(
    emu: BotApiEmulator, sent: list[tuple[FakeUser, int, int]], within: float
) -> int:
    """Poll until every user has as many photos back as they sent; the users still short.

    Polling (every 50 ms) rather than one `wait_for` per user: 500 waiters re-checked on every
    message the bot sends would load the emulator's loop and skew its flood-limit clock.
    Latencies come from the emulator's arrival timestamps, so polling does not blur them.
    """
    deadline = time.monotonic() + within
    while True:
        counts = Counter(chat for chat, _ in sent_photo_arrivals(emu))
        short = sum(1 for user, _, count in sent if counts[user.chat_id] < count)
        if short == 0 or time.monotonic() > deadline:
            return short
        await asyncio.sleep(0.05)


def fairness(per_user: dict[int, list[float]], heavy_id: int) -> JsonDict:
    """Did the other users wait behind the first user's whole queue of three?"""
    heavy = sorted(per_user.get(heavy_id, []))
    others = sorted(s for uid, times in per_user.items() if uid != heavy_id for s in times)
    behind_all = sum(1 for s in others if heavy and s > heavy[-1])
    return {
        "heavy_user_seconds": heavy,
        "others_p50": summary(others).get("p50"),
        "others_after_heavy_last": behind_all,
        "others": len(others),
    }


def cases_for(
    plan: Plan, databases: list[DbKind], cap: bool, candidate: Path | None = None
) -> tuple[list[Case], list[JsonDict]]:
    cases: list[Case] = []
    capped: list[JsonDict] = []
    roots = [None, candidate] if candidate is not None else [None]
    for size in plan.sizes:
        cases.append(Case("baseline", None, None, size))
        for workers in plan.workers:
            for database in databases:
                bound = worker_bound(size, plan.latency, workers) if workers else 0.0
                if cap and plan.max_bound is not None and bound > plan.max_bound:
                    capped.append(
                        {"database": database, "workers": workers, "users": size, "bound": bound}
                    )
                    continue
                cases += [Case("aivenger", database, workers, size, root=r) for r in roots]
    if plan.heavy_size is not None and databases:
        cases.append(Case("aivenger", databases[0], None, plan.heavy_size, heavy=True))
    return cases, capped


async def run(
    plan: Plan,
    databases: list[DbKind],
    out: Path,
    cap: bool,
    candidate: Path | None = None,
    profile: Path | None = None,
) -> JsonDict:
    usable, skipped = await usable_databases(databases)
    photo = noise_jpeg(*plan.input_size)
    result = noise_png(plan.result_side, plan.result_side)
    cases, capped = cases_for(plan, usable, cap, candidate)
    results: list[JsonDict] = []
    with scratch_dir(NAME) as tmp:
        for number, case in enumerate(cases):
            print(f"[{NAME}] {case.label} ...", flush=True)
            row = await run_case(case, plan, photo, result, Path(tmp) / str(number), profile)
            print(f"    wall {row['wall_seconds']:.2f} s, floor {row['floor_seconds']:.2f} s")
            results.append(row)
    payload: JsonDict = {
        "benchmark": NAME,
        "machine": machine(),
        "plan": {
            "sizes": list(plan.sizes),
            "model_latency": plan.latency,
            "rate_per_second": RATE_PER_SECOND,
            "workers": list(plan.workers),
            "default_workers": DEFAULT_WORKERS,
            "default_generation_memory_mb": Settings.model_fields["generation_memory_mb"].default,
            "input_bytes": len(photo),
            "result_bytes": len(result),
        },
        "target_ratio": TARGET_RATIO,
        "skipped": skipped,
        "capped": capped,
        "results": results,
    }
    save_json(out, NAME, payload)
    plot(payload, out)
    print(report(payload))
    return payload


def main(argv: list[str] | None = None) -> JsonDict:
    cli = parser(NAME, __doc__.splitlines()[0] if __doc__ else NAME)
    cli.add_argument(
        "--workers", default=None, help="comma-separated WORKERS values ('default': none set)"
    )
    cli.add_argument("--sizes", default=None, help="comma-separated burst sizes N")
    cli.add_argument("--no-cap", action="store_true", help="run cases beyond --max-bound too")
    cli.add_argument("--max-bound", type=float, default=None, help="seconds (default 60)")
    cli.add_argument("--no-heavy", action="store_true", help="skip the heavy-first-user case")
    cli.add_argument(
        "--candidate", type=Path, default=None, help="also run the bot from this checkout"
    )
    cli.add_argument(
        "--profile", type=Path, default=None, help="run AIVenger under pyinstrument: HTML here"
    )
    args = cli.parse_args(argv)
    plan = QUICK if args.quick else FULL
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
    if args.workers:
        plan = replace(plan, workers=tuple(_workers(w) for w in args.workers.split(",")))
    if args.sizes:
        plan = replace(plan, sizes=tuple(int(n) for n in args.sizes.split(",")))
    if args.max_bound is not None:
        plan = replace(plan, max_bound=args.max_bound)
    if args.no_heavy:
        plan = replace(plan, heavy_size=None)
    return asyncio.run(
        run(
            plan,
            chosen_databases(args),
            out_dir(args),
            not args.no_cap,
            args.candidate,
            args.profile,
        )
    )


def _workers(value: str) -> int | None:
    return None if value.strip() == "default" else int(value)


if __name__ == "__main__":
    main()
