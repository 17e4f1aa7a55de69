"""overhead: what AIVenger adds per photo on top of the floor (bench/baseline.py).

Photos are sent one after another (each waits for its avatar before the next is sent) and each
is timed from the moment its update is queued in the emulator to the moment the emulator receives
the sendPhoto carrying the result. Side by side in one run: at each model latency the floor,
AIVenger on SQLite and AIVenger on PostgreSQL (and a `--candidate` checkout, if given) are all
running at once, each against its own emulator and fake, and the photos go round-robin from one
bot to the next, so whatever else the machine is doing lands on all of them alike.

At a 3 s model latency strictly one-at-a-time would take 10 minutes per bot, so the photos are
split over `lanes` users that each send one after another (8 lanes, far below the default
WORKERS, so no job ever waits for a worker slot): the same per-photo latency, an eighth of the
wall time. Every bot runs with its default settings.

    python -m bench.overhead [--quick] [--photos 200] [--databases sqlite,postgresql]
                             [--candidate PATH]
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from bench.bot_process import BotKind, BotProcess, bot_process
from bench.fakes import Fakes, fakes
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
from bench.stats import CpuWatch, summary
from playground.botapi import FakeUser

NAME = "overhead"
TARGET_P50 = 1.5
TARGET_P95 = 2.0  # issue 15: p50 ≤ 1.5×, p95 ≤ 2× the floor
WARMUP_PHOTOS = 3
WARMUP_USER = 900_000


@dataclass(frozen=True)
class Plan:
    photos: int
    latencies: tuple[float, ...]
    lanes: dict[float, int]  # model latency → concurrent one-after-another users
    input_size: tuple[int, int]
    result_side: int

    def lanes_at(self, latency: float) -> int:
        return self.lanes.get(latency, 1)


FULL = Plan(
    photos=200,
    latencies=(0.0, 3.0),
    lanes={0.0: 1, 3.0: 8},
    input_size=(1280, 960),  # Telegram's largest photo size is 1280 px on the long side
    result_side=816,  # a 2 MB PNG, like a 1024² model result
)
QUICK = Plan(photos=4, latencies=(0.0, 0.1), lanes={0.1: 2}, input_size=(640, 480), result_side=64)


@dataclass(frozen=True)
class Contender:
    bot: BotKind
    database: DbKind | None
    root: Path | None = None  # another checkout of the bot: a candidate change

    @property
    def label(self) -> str:
        if self.bot == "baseline":
            return "baseline"
        return f"aivenger-{self.database}" + ("-candidate" if self.root else "")


@dataclass
class Running:
    contender: Contender
    fake: Fakes
    process: BotProcess
    users: list[FakeUser]
    seconds: list[float] = field(default_factory=list)


async def start(
    stack: contextlib.AsyncExitStack,
    contender: Contender,
    latency: float,
    plan: Plan,
    result: bytes,
    work: Path,
    profile: Path | None = None,
) -> Running:
    fake = await stack.enter_async_context(fakes(model_latency=latency, result_image=result))
    url = await stack.enter_async_context(scratch_database(contender.database or "sqlite", work))
    ids = list(range(1, plan.photos + 1))
    if contender.bot == "aivenger":  # returning users, as /start leaves them
        await register_users(url, [*ids, *range(WARMUP_USER, WARMUP_USER + WARMUP_PHOTOS)])
    report_path = None
    if profile is not None and contender.bot == "aivenger":
        report_path = profile / f"{NAME}-{contender.label}-{latency:g}s.html"
    process = await stack.enter_async_context(
        bot_process(
            contender.bot,
            fake,
            database_url=url,
            data_dir=work,
            root=contender.root,
            profile=report_path,
        )
    )
    return Running(contender, fake, process, [fake.emu.user(i) for i in ids])


async def lane(bots: list[Running], share: list[int], photo: bytes, within: float) -> None:
    """One user slot: photo after photo, each to the next bot in turn."""
    for index in share:
        for running in bots:
            user = running.users[index]
            running.seconds.append(
                await photo_round_trip(running.fake.emu, user, photo, within=within)
            )


async def run_latency(
    latency: float,
    contenders: list[Contender],
    plan: Plan,
    photo: bytes,
    result: bytes,
    work: Path,
    profile: Path | None = None,
) -> list[JsonDict]:
    lanes = plan.lanes_at(latency)
    within = 60 + latency * 4
    async with contextlib.AsyncExitStack() as stack:
        bots = [
            await start(stack, c, latency, plan, result, work / f"{c.label}-{latency:g}", profile)
            for c in contenders
        ]
        for running in bots:
            for n in range(WARMUP_PHOTOS):
                user = running.fake.emu.user(WARMUP_USER + n)
                await photo_round_trip(running.fake.emu, user, photo, within=within)
        shares = [list(range(plan.photos))[i::lanes] for i in range(lanes)]
        started = time.monotonic()
        with CpuWatch(*(r.process.pid for r in bots)) as cpu:
            await asyncio.gather(*(lane(bots, share, photo, within) for share in shares))
        wall = time.monotonic() - started
    return [
        {
            "bot": r.contender.bot,
            "database": r.contender.database,
            "candidate": str(r.contender.root) if r.contender.root else None,
            "label": r.contender.label,
            "model_latency": latency,
            "lanes": lanes,
            "photos": len(r.seconds),
            "wall_seconds_all_bots": wall,
            "startup_seconds": r.process.startup_seconds,
            "latency": summary(r.seconds),
            "bot_log": r.process.log_problems(),
            "cpu_seconds_all_bots": cpu.seconds,
            "samples": r.seconds,
        }
        for r in bots
    ]


def ratios(results: list[JsonDict]) -> None:
    """Each AIVenger row gets its ratio to the floor measured at the same model latency."""
    floors = {r["model_latency"]: r["latency"] for r in results if r["bot"] == "baseline"}
    for row in results:
        floor = floors.get(row["model_latency"])
        if floor is None:
            continue
        row["ratio"] = {q: row["latency"][q] / floor[q] for q in ("p50", "p95", "p99")}
        row["meets_target"] = (
            row["ratio"]["p50"] <= TARGET_P50 and row["ratio"]["p95"] <= TARGET_P95
        )


def plot(results: list[JsonDict], out: Path) -> Path:
    import matplotlib.pyplot as plt

    latencies = sorted({r["model_latency"] for r in results})
    figure, axes = plt.subplots(1, len(latencies), figsize=(6 * len(latencies), 4.5), squeeze=False)
    for axis, latency in zip(axes[0], latencies, strict=True):
        rows = [r for r in results if r["model_latency"] == latency]
        width = 0.8 / len(rows)
        for i, row in enumerate(rows):
            values = [row["latency"][q] * 1000 for q in ("p50", "p95", "p99")]
            bars = axis.bar([x + i * width for x in range(3)], values, width, label=row["label"])
            if "ratio" in row:
                for bar, q in zip(bars, ("p50", "p95", "p99"), strict=True):
                    axis.annotate(
                        f"{row['ratio'][q]:.2f}×",
                        (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                        ha="center",
                        va="bottom",
                        fontsize=8,
                    )
        axis.set_xticks([x + width * (len(rows) - 1) / 2 for x in range(3)], ["p50", "p95", "p99"])
        axis.set_ylabel("photo in → avatar out (ms)")
        axis.set_title(f"model latency {latency:g} s ({rows[0]['photos']} photos each)")
        axis.legend(fontsize=8)
    figure.suptitle("overhead vs the floor (ratio to the baseline above each bar)")
    return save_figure(figure, out, NAME)


async def run(
    plan: Plan,
    databases: list[DbKind],
    out: Path,
    candidate: Path | None = None,
    profile: Path | None = None,
) -> JsonDict:
    usable, skipped = await usable_databases(databases)
    photo = noise_jpeg(*plan.input_size)
    result = noise_png(plan.result_side, plan.result_side)
    contenders = [Contender("baseline", None)]
    contenders += [Contender("aivenger", db) for db in usable]
    if candidate is not None:
        contenders += [Contender("aivenger", db, candidate) for db in usable]
    results: list[JsonDict] = []
    with scratch_dir(NAME) as tmp:
        for latency in plan.latencies:
            names = ", ".join(c.label for c in contenders)
            print(f"[{NAME}] model latency {latency:g} s: {names} ...", flush=True)
            results += await run_latency(
                latency, contenders, plan, photo, result, Path(tmp), profile
            )
    ratios(results)
    payload: JsonDict = {
        "benchmark": NAME,
        "machine": machine(),
        "plan": {
            "photos": plan.photos,
            "model_latencies": list(plan.latencies),
            "lanes": {str(k): v for k, v in plan.lanes.items()},
            "input_bytes": len(photo),
            "input_size": list(plan.input_size),
            "result_bytes": len(result),
        },
        "targets": {"p50_ratio": TARGET_P50, "p95_ratio": TARGET_P95},
        "skipped": skipped,
        "results": results,
    }
    save_json(out, NAME, payload)
    plot(results, out)
    print(report(payload))
    return payload


def report(payload: JsonDict) -> str:
    rows: list[list[Any]] = []
    for r in payload["results"]:
        lat = r["latency"]
        ratio = r.get("ratio", {})
        rows.append(
            [
                r["label"],
                f"{r['model_latency']:g}",
                r["photos"],
                f"{lat['p50'] * 1000:.0f}",
                f"{lat['p95'] * 1000:.0f}",
                f"{lat['p99'] * 1000:.0f}",
                f"{ratio['p50']:.2f}" if ratio else "1",
                f"{ratio['p95']:.2f}" if ratio else "1",
                f"{ratio['p99']:.2f}" if ratio else "1",
            ]
        )
    headers = ["bot", "model s", "photos", "p50 ms", "p95 ms", "p99 ms", "p50 ×", "p95 ×", "p99 ×"]
    return table(headers, rows)


def main(argv: list[str] | None = None) -> JsonDict:
    cli = parser(NAME, __doc__.splitlines()[0] if __doc__ else NAME)
    cli.add_argument("--photos", type=int, default=None, help="photos per bot and latency")
    cli.add_argument("--latencies", default=None, help="comma-separated model latencies in seconds")
    cli.add_argument(
        "--candidate", type=Path, default=None, help="also run the bot from this checkout"
    )
    cli.add_argument(
        "--profile",
        type=Path,
        default=None,
        help="run each AIVenger under pyinstrument; HTML reports go to this directory",
    )
    args = cli.parse_args(argv)
    plan = QUICK if args.quick else FULL
    if args.photos:
        plan = replace(plan, photos=args.photos)
    if args.latencies:
        plan = replace(plan, latencies=tuple(float(x) for x in args.latencies.split(",")))
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
    return asyncio.run(
        run(plan, chosen_databases(args), out_dir(args), args.candidate, args.profile)
    )


if __name__ == "__main__":
    main()
