"""flood: another user's /help latency while one user presses "Buy" as fast as Telegram lets.

The bot runs as its own process at its default settings (bench/bot_process.py). One registered
user presses the "Buy credits" button `presses` times (each press is a callback query the
bot must answer); meanwhile other users send /help one after another, and each /help is
timed from its update being queued in the emulator to the emulator receiving the answer.
Also reported: what the flood cost Telegram's send budget (messages sent into the flooder's
chat, callback answers) and how long the bot took to drain the flood. Target: the other
users' answers p95 < 1 s (issue 13).

    python -m bench.flood [--quick] [--presses 300] [--databases sqlite,postgresql]
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.bot_process import bot_process
from bench.fakes import Fakes, fakes
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
from playground.botapi import FakeUser

NAME = "flood"
TARGET_P95 = 1.0
FLOODER = 1
BUY_BUTTON = "b:"  # bot/callbacks.py: Action.BUY


@dataclass(frozen=True)
class Plan:
    presses: int
    others: int  # users sending /help during the flood, one after another each
    helps_each: int


FULL = Plan(presses=300, others=3, helps_each=10)
QUICK = Plan(presses=60, others=1, helps_each=3)


async def help_round_trip(fake: Fakes, user: FakeUser, within: float = 60.0) -> float:
    """Seconds from /help being queued to the emulator receiving the bot's answer."""
    sent = await user.send_text("/help")
    queued = time.monotonic()
    reply = await user.wait_for(lambda m: m["message_id"] > sent["message_id"], within)
    for _ in range(1000):
        for call in reversed(fake.emu.calls("sendMessage")):
            result = call.response.get("result") if call.response.get("ok") else None
            if isinstance(result, dict) and (result["chat"]["id"], result["message_id"]) == (
                user.chat_id,
                reply["message_id"],
            ):
                return call.at - queued
        await asyncio.sleep(0.001)
    raise LookupError("the /help answer was not recorded")


async def flood(flooder: FakeUser, target: JsonDict, presses: int) -> float:
    """Presses as fast as the event loop queues them; returns when the last was queued."""
    for _ in range(presses):
        await flooder.press(target, BUY_BUTTON)
        await asyncio.sleep(0)
    return time.monotonic()


async def drained(fake: Fakes, presses: int, within: float = 120.0) -> float:
    """When every press of the flood had its callback answered (or `within` ran out)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        answers = fake.emu.calls("answerCallbackQuery")
        if len(answers) >= presses:
            return answers[presses - 1].at
        await asyncio.sleep(0.05)
    return float("nan")


async def run_database(kind: DbKind, plan: Plan, work: Path) -> JsonDict:
    async with contextlib.AsyncExitStack() as stack:
        fake = await stack.enter_async_context(fakes())
        url = await stack.enter_async_context(scratch_database(kind, work))
        others = list(range(2, 2 + plan.others))
        await register_users(url, [FLOODER, *others])
        await stack.enter_async_context(
            bot_process("aivenger", fake, database_url=url, data_dir=work)
        )
        users = [fake.emu.user(i) for i in others]
        flooder = fake.emu.user(FLOODER)
        for user in users:  # warm up: first answers pay for imports and connections
            await help_round_trip(fake, user)
        await flooder.send_text("/credits")  # its answer carries the Buy button
        target = await flooder.wait_for(lambda m: BUY_BUTTON in str(m.get("reply_markup")))
        sends_before = len(fake.emu.calls("sendMessage"))
        answers_before = len(fake.emu.calls("answerCallbackQuery"))
        started = time.monotonic()
        flood_task = asyncio.create_task(flood(flooder, target, plan.presses))

        async def lane(user: FakeUser) -> list[float]:
            return [await help_round_trip(fake, user) for _ in range(plan.helps_each)]

        lanes = await asyncio.gather(*(lane(u) for u in users))
        queued_all = await flood_task
        await asyncio.sleep(2.0)  # let the tail of the flood land before counting it
        to_flooder = [
            c
            for c in fake.emu.calls("sendMessage")[sends_before:]
            if c.params.get("chat_id") in (FLOODER, str(FLOODER))
        ]
        answers = fake.emu.calls("answerCallbackQuery")[answers_before:]
        samples = [s for lane_samples in lanes for s in lane_samples]
        return {
            "database": kind,
            "presses": plan.presses,
            "others": plan.others,
            "help_latency": summary(samples),
            "samples": samples,
            "flood_queued_seconds": queued_all - started,
            "messages_to_flooder": len(to_flooder),
            "callback_answers": len(answers),
            "callback_answers_with_text": sum(bool(c.params.get("text")) for c in answers),
            "meets_target": bool(samples) and summary(samples)["p95"] < TARGET_P95,
        }


def plot(payload: JsonDict, out: Path) -> Path:
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(9, 4))
    for result in payload["results"]:
        samples = result["samples"]
        axis.plot(range(1, len(samples) + 1), samples, "o-", label=result["database"])
    axis.axhline(TARGET_P95, color="red", linestyle=":", label="target")
    axis.set_xlabel("/help during the flood (per lane, in order)")
    axis.set_ylabel("seconds to the answer")
    axis.set_title(f"another user's /help during a {payload['plan']['presses']}-press flood")
    axis.legend()
    return save_figure(figure, out, NAME)


def report(payload: JsonDict) -> str:
    rows: list[list[Any]] = []
    for r in payload["results"]:
        latency = r["help_latency"]
        rows.append(
            [
                r["database"],
                r["presses"],
                latency.get("n", 0),
                f"{latency.get('p50', float('nan')) * 1000:.0f}",
                f"{latency.get('p95', float('nan')) * 1000:.0f}",
                f"{latency.get('max', float('nan')) * 1000:.0f}",
                r["messages_to_flooder"],
                f"{r['callback_answers']} ({r['callback_answers_with_text']} with text)",
            ]
        )
    headers = [
        "db", "presses", "/help n", "p50 ms", "p95 ms", "max ms",
        "messages to flooder", "callback answers",
    ]  # fmt: skip
    return table(headers, rows)


async def run(plan: Plan, databases: list[DbKind], out: Path) -> JsonDict:
    usable, skipped = await usable_databases(databases)
    results: list[JsonDict] = []
    with scratch_dir(NAME) as tmp:
        for kind in usable:
            print(f"[{NAME}] {kind}: {plan.presses} presses ...", flush=True)
            results.append(await run_database(kind, plan, Path(tmp) / kind))
    payload: JsonDict = {
        "benchmark": NAME,
        "machine": machine(),
        "measured": "bot as its own process at default settings; /help queued → answer received",
        "plan": {"presses": plan.presses, "others": plan.others, "helps_each": plan.helps_each},
        "targets": {"help_p95_seconds": TARGET_P95},
        "skipped": skipped,
        "results": results,
    }
    save_json(out, NAME, payload)
    plot(payload, out)
    print(report(payload))
    return payload


def main(argv: list[str] | None = None) -> JsonDict:
    cli = parser(NAME, __doc__.splitlines()[0] if __doc__ else NAME)
    cli.add_argument("--presses", type=int, default=None, help="presses in the flood")
    args = cli.parse_args(argv)
    plan = QUICK if args.quick else FULL
    if args.presses:
        plan = Plan(presses=args.presses, others=plan.others, helps_each=plan.helps_each)
    return asyncio.run(run(plan, chosen_databases(args), out_dir(args)))


if __name__ == "__main__":
    main()
