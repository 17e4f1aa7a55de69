"""broadcast: does an admin's broadcast slow down a burst of avatars?

One bot process, the emulator refusing more than 30 messages/s (429 beyond), the model
answering in L s. First a burst of N photos from N users with nothing else going on; then,
after the burst has settled, an admin broadcasts to M users and, once copies are flowing, a
second burst of N photos arrives. Reported: each burst's wall time (photos sent → last avatar
received), their ratio (target ≤ 1.2: the broadcast's copies go at BROADCAST_PER_SECOND and
at the lowest priority of the send budget, so avatars keep the rest), the copies made during
the second burst, and the whole broadcast's duration and totals.

    python -m bench.broadcast [--quick] [--photos 100] [--recipients 1000]
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.bot_process import bot_process
from bench.burst import RATE_PER_SECOND, honoured, wait_for_avatars
from bench.fakes import Fakes, fakes
from bench.noise import noise_jpeg, noise_png
from bench.output import JsonDict, machine, out_dir, parser, save_figure, save_json, table
from bench.photos import photo_round_trip, sent_photo_arrivals
from bench.scratch import (
    DbKind,
    chosen_databases,
    register_users,
    scratch_database,
    scratch_dir,
    usable_databases,
)
from playground.botapi import FakeUser

NAME = "broadcast"
TARGET_RATIO = 1.2
ADMIN = 999_000
WARMUP = 999_999


@dataclass(frozen=True)
class Plan:
    photos: int
    recipients: int
    latency: float
    per_second: float


FULL = Plan(photos=100, recipients=1000, latency=3.0, per_second=10.0)
QUICK = Plan(photos=8, recipients=40, latency=0.3, per_second=10.0)


async def burst_seconds(fake: Fakes, users: list[FakeUser], photo: bytes) -> float:
    """Photos from every user at once; seconds until each user has an avatar back."""
    sent = [(user, (await user.send_photo(photo))["message_id"], 1) for user in users]
    start = time.monotonic()
    missing = await wait_for_avatars(fake.emu, sent, 60 + len(users))
    if missing:
        raise RuntimeError(f"{missing} users got no avatar")
    arrivals = sent_photo_arrivals(fake.emu)
    firsts = {user.chat_id: first for user, first, _ in sent}
    return max(
        at - start for (chat, mid), at in arrivals.items() if chat in firsts and mid > firsts[chat]
    )


def copies(fake: Fakes) -> int:
    return sum(1 for c in fake.emu.calls("copyMessage") if c.response.get("ok"))


async def copies_flowing(fake: Fakes, count: int) -> None:
    flowing = asyncio.Event()

    def check() -> None:
        if copies(fake) >= count:
            flowing.set()

    unsubscribe = fake.emu.on_change(check)
    try:
        check()
        await asyncio.wait_for(flowing.wait(), 60)
    finally:
        unsubscribe()


async def start_broadcast(fake: Fakes) -> FakeUser:
    admin = fake.emu.user(ADMIN)
    news = await admin.send_text("📰 Broadcast for the benchmark")
    await admin.send_text("/broadcast", reply_to=news)
    preview = await admin.wait_for(lambda m: "Send it?" in str(m.get("text")), timeout=30)
    send = preview["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    await admin.press(preview, send)
    return admin


async def run_case(database: DbKind, plan: Plan, work: Path) -> JsonDict:
    photo = noise_jpeg(320, 240)
    async with (
        fakes(model_latency=plan.latency, result_image=noise_png(128, 128)) as fake,
        scratch_database(database, work) as url,
    ):
        alone = list(range(1, plan.photos + 1))
        during = list(range(plan.photos + 1, 2 * plan.photos + 1))
        others = list(range(100_000, 100_000 + plan.recipients - 2 * plan.photos - 1))
        await register_users(url, [*alone, *during, *others, ADMIN, WARMUP])
        for user_id in [*alone, *during, *others]:
            fake.emu.user(user_id)
        settings = {"admin_user_ids": ADMIN, "broadcast_per_second": plan.per_second}
        async with bot_process(
            "aivenger", fake, database_url=url, data_dir=work / "bot", settings=settings
        ) as bot:
            await photo_round_trip(fake.emu, fake.emu.user(WARMUP), photo)
            fake.emu.set_rate_limit(global_per_second=RATE_PER_SECOND)
            calls_before = len(fake.emu.calls())
            quiet = await burst_seconds(fake, [fake.emu.user(u) for u in alone], photo)
            admin = await start_broadcast(fake)
            began = time.monotonic()
            await copies_flowing(fake, 10)
            copies_before = copies(fake)
            busy = await burst_seconds(fake, [fake.emu.user(u) for u in during], photo)
            copies_during = copies(fake) - copies_before
            done = await admin.wait_for(
                lambda m: "Broadcast finished" in str(m.get("text")),
                timeout=60 + plan.recipients / plan.per_second * 3,
                since=0,
            )
            total_seconds = time.monotonic() - began
            limits = honoured(fake.emu.calls()[calls_before:])
            fake.emu.set_rate_limit(None)
            log = bot.log_problems()
    ratio = busy / quiet
    return {
        "database": database,
        "photos": plan.photos,
        "recipients": plan.recipients,
        "burst_alone_seconds": quiet,
        "burst_during_broadcast_seconds": busy,
        "ratio": ratio,
        "meets_target": ratio <= TARGET_RATIO,
        "copies_during_burst": copies_during,
        "copies_per_second_during_burst": copies_during / busy if busy else None,
        "broadcast_seconds": total_seconds,
        "broadcast_report": done.get("text"),
        **limits,
        "bot_log": log,
    }


def plot(payload: JsonDict, out: Path) -> Path:
    import matplotlib.pyplot as plt

    rows = payload["results"]
    figure, axis = plt.subplots(figsize=(7, 4.5))
    labels = [r["database"] for r in rows]
    xs = range(len(rows))
    axis.bar([x - 0.2 for x in xs], [r["burst_alone_seconds"] for r in rows], 0.4, label="alone")
    axis.bar(
        [x + 0.2 for x in xs],
        [r["burst_during_broadcast_seconds"] for r in rows],
        0.4,
        label="during a broadcast",
    )
    for x, r in zip(xs, rows, strict=True):
        axis.annotate(f"× {r['ratio']:.2f}", (x + 0.2, r["burst_during_broadcast_seconds"]))
    axis.set_xticks(list(xs), labels)
    axis.set_ylabel("seconds until the last avatar")
    plan = payload["plan"]
    axis.set_title(
        f"{plan['photos']} avatars, alone and during a broadcast to {plan['recipients']} "
        f"(L = {plan['model_latency']:g} s)"
    )
    axis.legend()
    return save_figure(figure, out, NAME)


async def run(plan: Plan, databases: list[DbKind], out: Path) -> JsonDict:
    usable, skipped = await usable_databases(databases)
    results = []
    with scratch_dir(NAME) as tmp:
        for database in usable:
            print(f"[{NAME}] {database} ...", flush=True)
            results.append(await run_case(database, plan, Path(tmp) / database))
    payload: JsonDict = {
        "benchmark": NAME,
        "machine": machine(),
        "plan": {
            "photos": plan.photos,
            "recipients": plan.recipients,
            "model_latency": plan.latency,
            "broadcast_per_second": plan.per_second,
            "rate_per_second": RATE_PER_SECOND,
        },
        "target_ratio": TARGET_RATIO,
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
            f"{r['burst_alone_seconds']:.1f}",
            f"{r['burst_during_broadcast_seconds']:.1f}",
            f"{r['ratio']:.2f}",
            r["copies_during_burst"],
            f"{r['broadcast_seconds']:.0f}",
            r["received_429"],
            "yes" if r["meets_target"] else "no",
        ]
        for r in payload["results"]
    ]
    headers = [
        "db",
        "alone s",
        "during s",
        "ratio",
        "copies meanwhile",
        "broadcast s",
        "429s",
        "ok",
    ]
    return table(headers, rows)


def main(argv: list[str] | None = None) -> JsonDict:
    cli = parser(NAME, __doc__.splitlines()[0] if __doc__ else NAME)
    cli.add_argument("--photos", type=int, default=None)
    cli.add_argument("--recipients", type=int, default=None)
    args = cli.parse_args(argv)
    plan = QUICK if args.quick else FULL
    if args.photos:
        plan = Plan(args.photos, plan.recipients, plan.latency, plan.per_second)
    if args.recipients:
        plan = Plan(plan.photos, args.recipients, plan.latency, plan.per_second)
    return asyncio.run(run(plan, chosen_databases(args), out_dir(args)))


if __name__ == "__main__":
    main()
