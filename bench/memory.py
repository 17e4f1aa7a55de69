"""memory: the bot process's RSS with K generations in flight, and after many jobs.

Measured on `python -m bot` as its own process (SQLite, local blobs), from outside with psutil
and Linux's own peak counter: /proc/<pid>/status VmHWM, reset through /proc/<pid>/clear_refs
just before each burst, so the peak is exact rather than sampled. Images are noise, so their
sizes are real: a ≈3 MB JPEG photo in, a ≈2 MB PNG out.

1. in flight: K users send a photo at once while the model takes 3 s, so all K jobs are
   downloaded, validated, stored, sent to the model and answered together (the bot's default
   settings: WORKERS=256 ≥ K, and GENERATION_MEMORY_MB bounds what the model calls hold).
   Per job = (peak RSS − RSS before the burst) / (K × (in + out bytes)). Each K runs in a
   fresh process, after one warm-up job.
2. growth: 1000 jobs one after another (100 users in turn, so per-user state stops growing
   after the first 100); RSS is read after every 100 jobs. Smaller images (≈280 kB in, ≈200 kB
   out) keep the fakes' own memory in check; growth per job shows regardless of image size.

    python -m bench.memory [--quick]
"""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import psutil  # type: ignore[import-untyped]

from bench.bot_process import bot_process
from bench.fakes import fakes
from bench.noise import noise_jpeg, noise_png
from bench.output import JsonDict, machine, out_dir, parser, save_figure, save_json, table
from bench.photos import photo_after, photo_round_trip
from bench.scratch import register_users, scratch_database, scratch_dir

NAME = "memory"
TARGET_PER_JOB = 3.0
MB = 1024 * 1024


@dataclass(frozen=True)
class Plan:
    in_flight: tuple[int, ...]
    model_latency: float
    input_size: tuple[int, int]
    input_quality: int
    result_side: int
    jobs: int
    checkpoint_every: int
    growth_users: int
    growth_input: tuple[int, int]
    growth_result_side: int


FULL = Plan(
    in_flight=(1, 10, 50),
    model_latency=3.0,
    input_size=(2000, 1500),
    input_quality=93,  # ≈ 3 MB of noise
    result_side=816,  # ≈ 2 MB PNG of noise
    jobs=1000,
    checkpoint_every=100,
    growth_users=100,
    growth_input=(640, 480),
    growth_result_side=256,
)
QUICK = Plan(
    in_flight=(1, 3),
    model_latency=0.5,
    input_size=(640, 480),
    input_quality=90,
    result_side=256,
    jobs=20,
    checkpoint_every=10,
    growth_users=5,
    growth_input=(320, 240),
    growth_result_side=64,
)


class RssSampler:
    """Samples a process's RSS every `interval` seconds in a thread (the event loop is busy)."""

    def __init__(self, pid: int, interval: float = 0.01) -> None:
        self._process = psutil.Process(pid)
        self._interval = interval
        self._stop = threading.Event()
        self.samples: list[tuple[float, int]] = []
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.samples.append((time.monotonic(), self._process.memory_info().rss))
            except psutil.Error:
                return
            self._stop.wait(self._interval)


def rss(pid: int) -> int:
    return int(psutil.Process(pid).memory_info().rss)


def peak_rss(pid: int) -> int:
    """VmHWM: the kernel's high-water mark of the process's resident set, in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise LookupError("no VmHWM in /proc status")


def reset_peak(pid: int) -> None:
    Path(f"/proc/{pid}/clear_refs").write_text("5")


async def settle(pid: int, seconds: float = 1.0) -> int:
    """Let the bot go idle (the warm-up's tail: deletes, completion), then read RSS."""
    await asyncio.sleep(seconds)
    return rss(pid)


async def in_flight_case(
    k: int, plan: Plan, photo: bytes, result: bytes, work: Path, root: Path | None = None
) -> JsonDict:
    async with fakes(result_image=result) as fake, scratch_database("sqlite", work) as url:
        await register_users(url, list(range(1, k + 2)))
        async with bot_process(
            "aivenger",
            fake,
            database_url=url,
            data_dir=work / "bot",
            root=root,
        ) as bot:
            await photo_round_trip(fake.emu, fake.emu.user(k + 1), photo)  # warm-up
            before = await settle(bot.pid)
            fake.model.latency = plan.model_latency
            reset_peak(bot.pid)
            with RssSampler(bot.pid) as sampler:
                started = time.monotonic()
                users = [fake.emu.user(i) for i in range(1, k + 1)]
                sent = [(u, (await u.send_photo(photo))["message_id"]) for u in users]
                await asyncio.gather(*(u.wait_for(photo_after(m), 120) for u, m in sent))
                wall = time.monotonic() - started
                await asyncio.sleep(0.3)
            peak = peak_rss(bot.pid)
    per_job_bytes = len(photo) + len(result)
    return {
        "in_flight": k,
        "label": "aivenger-candidate" if root else "aivenger",
        "candidate": str(root) if root else None,
        "bot_log": bot.log_problems(),
        "rss_before_bytes": before,
        "peak_rss_bytes": peak,
        "delta_bytes": peak - before,
        "payload_bytes": k * per_job_bytes,
        "per_job_ratio": (peak - before) / (k * per_job_bytes),
        "peak_over_payload": peak / (k * per_job_bytes),
        "wall_seconds": wall,
        "timeline": [(t - started, b) for t, b in sampler.samples[::5]],
    }


async def growth(plan: Plan, work: Path) -> JsonDict:
    photo = noise_jpeg(*plan.growth_input)
    result = noise_png(plan.growth_result_side, plan.growth_result_side)
    ids = list(range(1, plan.growth_users + 1))
    checkpoints: list[tuple[int, int]] = []
    async with fakes(result_image=result) as fake, scratch_database("sqlite", work) as url:
        await register_users(url, ids, credits=10 * (plan.jobs // len(ids) + 3))
        async with bot_process("aivenger", fake, database_url=url, data_dir=work / "bot") as bot:
            checkpoints.append((0, await settle(bot.pid, 0.5)))
            started = time.monotonic()
            for job in range(1, plan.jobs + 1):
                user = fake.emu.user(ids[(job - 1) % len(ids)])
                await photo_round_trip(fake.emu, user, photo)
                fake.model.requests.clear()  # the fake keeps every request body otherwise
                if job % plan.checkpoint_every == 0:
                    checkpoints.append((job, await settle(bot.pid, 0.3)))
            wall = time.monotonic() - started
            peak = peak_rss(bot.pid)
    by_job = dict(checkpoints)
    first = by_job[plan.checkpoint_every]
    last = by_job[plan.jobs]
    return {
        "bot_log": bot.log_problems(),
        "jobs": plan.jobs,
        "input_bytes": len(photo),
        "result_bytes": len(result),
        "users": len(ids),
        "checkpoints": checkpoints,
        "rss_after_first_checkpoint": first,
        "rss_after_all": last,
        "growth_bytes": last - first,
        "growth_ratio": last / first,
        "growth_bytes_per_job": (last - first) / max(1, plan.jobs - plan.checkpoint_every),
        "peak_rss_bytes": peak,
        "wall_seconds": wall,
    }


def plot(payload: JsonDict, out: Path) -> Path:
    import matplotlib.pyplot as plt

    figure, (timeline, bars, grow) = plt.subplots(1, 3, figsize=(16, 4.5))
    for row in payload["in_flight"]:
        points = row["timeline"]
        name = f"K={row['in_flight']}" + (" candidate" if row["candidate"] else "")
        timeline.plot([t for t, _ in points], [b / MB for _, b in points], label=name)
    timeline.set_xlabel("seconds since the burst")
    timeline.set_ylabel("RSS (MiB)")
    timeline.set_title("RSS while K generations are in flight")
    timeline.legend()
    ks = [f"{r['in_flight']}{'*' if r['candidate'] else ''}" for r in payload["in_flight"]]
    bars.bar(ks, [r["per_job_ratio"] for r in payload["in_flight"]], color="tab:orange")
    bars.axhline(TARGET_PER_JOB, color="k", linestyle=":", label=f"target {TARGET_PER_JOB}×")
    bars.set_xlabel("K in flight (* candidate)")
    bars.set_ylabel("(peak − before) / (K × (in + out bytes))")
    bars.set_title("memory per job in flight")
    bars.legend()
    checkpoints = payload["growth"]["checkpoints"]
    grow.plot([j for j, _ in checkpoints], [b / MB for _, b in checkpoints], "o-")
    grow.set_xlabel("jobs completed one after another")
    grow.set_ylabel("RSS (MiB)")
    grow.set_ylim(bottom=0)
    grow.set_title("RSS over sequential jobs (no growth expected)")
    return save_figure(figure, out, NAME)


async def run(plan: Plan, out: Path, candidate: Path | None = None) -> JsonDict:
    photo = noise_jpeg(*plan.input_size, quality=plan.input_quality)
    result = noise_png(plan.result_side, plan.result_side)
    rows: list[JsonDict] = []
    with scratch_dir(NAME) as tmp:
        for k in plan.in_flight:
            for root in [None, candidate] if candidate else [None]:
                print(f"[{NAME}] K={k} in flight{' (candidate)' if root else ''} ...", flush=True)
                work = Path(tmp) / f"k{k}{'c' if root else ''}"
                rows.append(await in_flight_case(k, plan, photo, result, work, root))
        print(f"[{NAME}] {plan.jobs} sequential jobs ...", flush=True)
        grown = await growth(plan, Path(tmp) / "growth")
    payload: JsonDict = {
        "benchmark": NAME,
        "machine": machine(),
        "measured": "python -m bot as a subprocess; psutil RSS samples + /proc VmHWM",
        "plan": {
            "in_flight": list(plan.in_flight),
            "model_latency": plan.model_latency,
            "input_bytes": len(photo),
            "result_bytes": len(result),
            "settings": "defaults",
        },
        "target_per_job": TARGET_PER_JOB,
        "in_flight": rows,
        "growth": grown,
    }
    save_json(out, NAME, payload)
    plot(payload, out)
    print(report(payload))
    return payload


def report(payload: JsonDict) -> str:
    rows: list[list[Any]] = [
        [
            r["label"],
            r["in_flight"],
            f"{r['rss_before_bytes'] / MB:.0f}",
            f"{r['peak_rss_bytes'] / MB:.0f}",
            f"{r['delta_bytes'] / MB:.0f}",
            f"{r['payload_bytes'] / MB:.1f}",
            f"{r['per_job_ratio']:.2f}",
        ]
        for r in payload["in_flight"]
    ]
    headers = ["bot", "K", "RSS before MiB", "peak MiB", "Δ MiB", "K×(in+out) MiB", "Δ / payload"]
    grown = payload["growth"]
    growth_rows = [[j, f"{b / MB:.1f}"] for j, b in grown["checkpoints"]]
    return (
        table(headers, rows)
        + "\n\n"
        + table(["jobs done", "RSS MiB"], growth_rows)
        + f"\n\ngrowth {grown['checkpoints'][1][0]}→{grown['jobs']} jobs: "
        + f"{grown['growth_bytes'] / MB:+.1f} MiB ({grown['growth_bytes_per_job']:.0f} B/job)"
    )


def main(argv: list[str] | None = None) -> JsonDict:
    cli = parser(NAME, __doc__.splitlines()[0] if __doc__ else NAME)
    cli.add_argument("--jobs", type=int, default=None, help="sequential jobs for the growth run")
    cli.add_argument(
        "--candidate", type=Path, default=None, help="also run K in flight on this checkout"
    )
    args = cli.parse_args(argv)
    plan = QUICK if args.quick else FULL
    if args.jobs:
        plan = replace(plan, jobs=args.jobs, checkpoint_every=max(1, args.jobs // 10))
    return asyncio.run(run(plan, out_dir(args), args.candidate))


if __name__ == "__main__":
    main()
