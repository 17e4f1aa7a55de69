"""recovery: seconds from a crash to the job moving on, with the shipped settings.

`restart` (one process, like a single-host deployment): a photo's model call is in flight,
the bot is killed with SIGKILL and started again at once. The clock starts when the new
process is spawned and stops when (a) the interrupted job's model call is made again (resumed)
and (b) the avatar reaches the emulator; with JOB_MAX_ATTEMPTS=1 the job is refunded instead
and (b) is the refund notice. Product promise: every interrupted job resumed or refunded
within 15 s of the restart.

`worker death` (a receiver and two `python -m bot worker` processes on PostgreSQL): the worker
holding the job is SIGKILLed and not restarted. The clock starts at the kill and stops when
the other worker makes the model call again, then when the avatar arrives. Promise: 30 s.

No lease or sweep setting is passed: the processes run with the defaults in core/settings.py.

    python -m bench.recovery [--quick] [--repeats 3] [--databases sqlite,postgresql]
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.bot_process import bot_environment, bot_process, stop_process
from bench.fakes import Fakes, fakes
from bench.noise import noise_jpeg
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
from core.settings import Settings
from tests.fakes.openrouter import Outcome

NAME = "recovery"
RESTART_PROMISE = 15.0
WORKER_DEATH_PROMISE = 30.0
HANG = 600.0  # the interrupted model call never answers by itself
USER = 1
REFUNDED = "were refunded"


@dataclass(frozen=True)
class Plan:
    repeats: int


FULL = Plan(repeats=3)
QUICK = Plan(repeats=1)


def defaults() -> JsonDict:
    fields = Settings.model_fields
    return {
        "job_lease_seconds": fields["job_lease_seconds"].default,
        "sweep_interval_seconds": fields["sweep_interval_seconds"].default,
        "job_max_attempts": fields["job_max_attempts"].default,
    }


async def wait_until(check: Any, within: float, what: str) -> float:
    """Poll a plain condition; the monotonic time it first held."""
    deadline = time.monotonic() + within
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} did not happen within {within:.0f} s")
        await asyncio.sleep(0.01)
    return time.monotonic()


def _photo_of(fake: Fakes) -> Any:
    return fake.emu.user(USER, first_name="Ada")


def _answer_at(fake: Fakes, *, refund: bool) -> float | None:
    """When the avatar (sendPhoto) or the refund notice reached the emulator."""
    method = ("editMessageText", "sendMessage") if refund else ("sendPhoto",)
    for call in fake.emu.calls():
        if call.method not in method or not call.response.get("ok"):
            continue
        text = str(call.params.get("text") or call.params.get("caption") or "")
        if (refund and REFUNDED in text) or (not refund and "credits left" in text):
            return call.at
    return None


# --- restart: one process killed and started again -------------------------------------------


async def one_restart(kind: DbKind, work: Path, *, refund: bool) -> JsonDict:
    settings: dict[str, object] = {"STORAGE_URL": f"file:{work / 'blobs'}"}
    if refund:
        settings["JOB_MAX_ATTEMPTS"] = 1
    async with scratch_database(kind, work) as url, fakes() as fake:
        await register_users(url, [USER])
        ada = _photo_of(fake)
        fake.model.script(Outcome.hang(HANG))
        async with bot_process(
            "aivenger", fake, database_url=url, data_dir=work / "first", settings=settings
        ) as first:
            await ada.send_photo(noise_jpeg(640, 480))
            await wait_until(lambda: len(fake.model.requests) == 1, 60, "the model call")
            await asyncio.sleep(0.5)  # well inside the call, its lease freshly renewed
            first.process.kill()
            await first.process.wait()
        restarted = time.monotonic()
        async with bot_process(
            "aivenger", fake, database_url=url, data_dir=work / "second", settings=settings
        ) as second:
            polling = second.ready_at - restarted
            if refund:
                resumed = None
            else:
                resumed = (
                    await wait_until(lambda: len(fake.model.requests) >= 2, 180, "resuming")
                    - restarted
                )
            answered = await wait_until(
                lambda: _answer_at(fake, refund=refund) is not None, 180, "the outcome"
            )
            answer = (_answer_at(fake, refund=refund) or answered) - restarted
            reclaimed = "reclaimed 1 job(s)" in second.log_path.read_text(errors="replace")
    return {
        "restart_to_polling": polling,
        "restart_to_resumed": resumed,
        "restart_to_outcome": answer,
        "reclaimed_at_start": reclaimed,
    }


# --- worker death: two workers, one killed ---------------------------------------------------


@contextlib.asynccontextmanager
async def worker(fake: Fakes, url: str, work: Path, storage: str) -> AsyncIterator[Any]:
    await asyncio.to_thread(work.mkdir, parents=True, exist_ok=True)
    env = bot_environment(fake, database_url=url, data_dir=work, STORAGE_URL=storage)
    log_path = work / "worker.log"
    with log_path.open("wb") as log:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "worker", cwd=work, env=env, stdout=log, stderr=log
        )
        try:
            await wait_until(lambda: "started:" in log_path.read_text(errors="replace"), 60, "w")
            found = re.search(r"instance=(\S+)", log_path.read_text(errors="replace"))
            yield process, (found.group(1) if found else None), log_path
        finally:
            await stop_process(process)


async def one_worker_death(kind: DbKind, work: Path) -> JsonDict:
    storage = f"file:{work / 'blobs'}"
    async with scratch_database(kind, work) as url, fakes() as fake:
        await register_users(url, [USER])
        ada = _photo_of(fake)
        fake.model.script(Outcome.hang(HANG))
        async with (
            bot_process(
                "aivenger",
                fake,
                database_url=url,
                data_dir=work / "receiver",
                settings={"WORKERS": 0, "STORAGE_URL": storage},
            ),
            worker(fake, url, work / "w1", storage) as one,
            worker(fake, url, work / "w2", storage) as two,
        ):
            await ada.send_photo(noise_jpeg(640, 480))
            await wait_until(lambda: len(fake.model.requests) == 1, 60, "the model call")
            holder = await _holder(url)
            doomed, survivor = (one, two) if holder == one[1] else (two, one)
            await asyncio.sleep(0.5)
            killed = time.monotonic()
            doomed[0].kill()
            await doomed[0].wait()
            moved = await wait_until(lambda: len(fake.model.requests) >= 2, 180, "moving on")
            await wait_until(lambda: _answer_at(fake, refund=False) is not None, 180, "avatar")
            answer = _answer_at(fake, refund=False) or moved
            taken_by = await _holder(url)
    return {
        "death_to_moved_on": moved - killed,
        "death_to_avatar": answer - killed,
        "finished_by_survivor": taken_by in (None, survivor[1]),
    }


async def _holder(url: str) -> str | None:
    from sqlalchemy import select

    from core.db import create_engine, create_session_factory, unit_of_work
    from core.models import Generation

    engine = create_engine(url)
    try:
        async with unit_of_work(create_session_factory(engine)) as session:
            return await session.scalar(select(Generation.claimed_by))
    finally:
        await engine.dispose()


# --- the run -------------------------------------------------------------------------------


def _row(scenario: str, kind: str, runs: list[JsonDict], promise: float, key: str) -> JsonDict:
    """`key`: the interval the promise is about (the job resumed, refunded, or moved on)."""
    keys = [k for k in runs[0] if isinstance(runs[0][k], float)]
    stats = {k: summary([r[k] for r in runs if r[k] is not None]) for k in keys}
    return {
        "scenario": scenario,
        "database": kind,
        "runs": runs,
        "seconds": stats,
        "promise_seconds": promise,
        "promise_interval": key,
        "meets_promise": max(r[key] for r in runs) <= promise,
    }


async def run(plan: Plan, databases: list[DbKind], out: Path) -> JsonDict:
    usable, skipped = await usable_databases(databases)
    results: list[JsonDict] = []
    with scratch_dir(NAME) as tmp:
        for kind in usable:
            for refund in (False, True):
                scenario = "restart → refund" if refund else "restart → avatar"
                print(f"[{NAME}] {scenario} on {kind} ...", flush=True)
                runs = [
                    await one_restart(kind, Path(tmp) / f"r{kind}{refund}{n}", refund=refund)
                    for n in range(plan.repeats)
                ]
                key = "restart_to_outcome" if refund else "restart_to_resumed"
                results.append(_row(scenario, kind, runs, RESTART_PROMISE, key))
        if "postgresql" in usable:
            print(f"[{NAME}] worker death on postgresql ...", flush=True)
            runs = [
                await one_worker_death("postgresql", Path(tmp) / f"w{n}")
                for n in range(plan.repeats)
            ]
            results.append(
                _row("worker death", "postgresql", runs, WORKER_DEATH_PROMISE, "death_to_moved_on")
            )
    payload: JsonDict = {
        "benchmark": NAME,
        "machine": machine(),
        "plan": {"repeats": plan.repeats},
        "settings": defaults(),
        "skipped": skipped,
        "results": results,
    }
    save_json(out, NAME, payload)
    plot(payload, out)
    print(report(payload))
    return payload


def report(payload: JsonDict) -> str:
    rows = []
    for r in payload["results"]:
        for key, stats in r["seconds"].items():
            if stats.get("n"):
                rows.append(
                    [
                        r["scenario"],
                        r["database"],
                        key.replace("_", " "),
                        f"{stats['p50']:.1f}",
                        f"{stats['max']:.1f}",
                        f"{r['promise_seconds']:g}",
                    ]
                )
    return table(["scenario", "db", "interval", "median s", "max s", "promise s"], rows)


def plot(payload: JsonDict, out: Path) -> Path:
    import matplotlib.pyplot as plt

    rows = payload["results"]
    labels = [f"{r['scenario']}\n{r['database']}" for r in rows]
    figure, axis = plt.subplots(figsize=(max(6, 1.8 * len(rows)), 4.5))
    promised = [r["seconds"][r["promise_interval"]]["max"] for r in rows]
    delivered = [
        max(s["max"] for k, s in r["seconds"].items() if s.get("n") and "polling" not in k)
        for r in rows
    ]
    axis.bar(list(range(len(rows))), promised, width=0.4, label="job moved on (promised)")
    axis.bar(
        [i + 0.4 for i in range(len(rows))], delivered, width=0.4, label="user has the outcome"
    )
    for r_index, r in enumerate(rows):
        axis.hlines(r["promise_seconds"], r_index - 0.3, r_index + 0.7, colors="k", linestyles=":")
    axis.set_xticks([i + 0.2 for i in range(len(rows))], labels)
    axis.set_ylabel("seconds (worst run); dotted: the promise")
    axis.set_title("recovery with the default settings")
    axis.legend(fontsize=8)
    return save_figure(figure, out, NAME)


def main(argv: list[str] | None = None) -> JsonDict:
    cli = parser(NAME, __doc__.splitlines()[0] if __doc__ else NAME)
    cli.add_argument("--repeats", type=int, default=None, help="runs per scenario")
    args = cli.parse_args(argv)
    plan = Plan(repeats=args.repeats) if args.repeats else (QUICK if args.quick else FULL)
    return asyncio.run(run(plan, chosen_databases(args), out_dir(args)))


if __name__ == "__main__":
    main()
