"""intake: peak RSS rise when several heavy uploads reach `core.intake.prepare_image` at once.

Each case runs in a fresh Python process so one case's heap cannot hide another's: the child
warms intake up with one small photo, reads its RSS, resets Linux's peak counter
(/proc/self/clear_refs, then VmHWM is exact rather than sampled) and awaits N `prepare_image`
calls together, while a ticker measures how long the event loop ever waited (the bot answering
others meanwhile). Cases:

1. bombs: the issue's 207 KiB PNG of 7071×7071 RGBA (under the 50 MP cap), N at once;
2. photos: 12 MP phone photos (4032×3024 noise JPEG, a few MB each), N at once;
3. model: one upload per format and mode, its measured peak rise against the peak that
   `core.image_budget` predicts from its header (the budget is only as good as this model).

`--before REV` also runs every case on `core/` as it was at REV (extracted with `git archive`
into a temporary directory), so the figures show before and after the fix.

    python -m bench.intake [--quick] [--before REV]
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.noise import noise_jpeg
from bench.output import (
    REPO_ROOT,
    JsonDict,
    machine,
    out_dir,
    parser,
    save_figure,
    save_json,
    table,
)
from bench.scratch import scratch_dir
from core.image_header import MAX_PIXELS, check_header, open_upload, planned_cost
from tests.fakes import images

NAME = "intake"
TARGET_RISE = 300 * 1024 * 1024
MB = 1024 * 1024


@dataclass(frozen=True)
class Plan:
    at_once: int
    bomb_side: int
    photo_size: tuple[int, int]
    model_scale: float  # of the model cases' sizes below


FULL = Plan(at_once=6, bomb_side=7071, photo_size=(4032, 3024), model_scale=1.0)
QUICK = Plan(at_once=2, bomb_side=7071, photo_size=(1600, 1200), model_scale=0.25)


def model_uploads(scale: float) -> dict[str, bytes]:
    """One in-budget upload per decoder path; flat images, as pixels cost the same memory."""

    def side(n: int) -> int:
        return max(64, int(n * scale))

    w, h = side(4032), side(3024)
    return {
        "JPEG RGB 12 MP": images.jpeg(w, h),
        "JPEG CMYK": images.jpeg(side(3000), side(2000), (0, 0, 0, 0), mode="CMYK"),
        "PNG RGB": images.flat_png(w, h, mode="RGB"),
        "PNG RGBA": images.flat_png(side(2800), side(2800), mode="RGBA"),
        "PNG 16-bit RGBA": images.flat_png(side(2800), side(2800), mode="RGBA", bit_depth=16),
        "PNG 16-bit grey": images.flat_png(side(4000), side(4000), mode="L", bit_depth=16),
        "PNG paletted + tRNS": images.paletted_png_with_transparency(side(2800), side(2800)),
        "WebP RGB": images.webp(side(2600), side(2000)),
        "HEIC 12 MP": images.heic(w, h),
    }


def modelled_bytes(data: bytes) -> int:
    im = open_upload(data)
    check_header(im, MAX_PIXELS)
    return planned_cost(im).peak_bytes


# Runs in the child, against whichever `core/` is first on its path; uses only what every
# version of intake has (`prepare_image(data)`), so old checkouts can be measured too.
CHILD = r"""
import asyncio, json, sys, time
from pathlib import Path

def status(key):
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key):
            return int(line.split()[1]) * 1024
    raise LookupError(key)

async def main(upload, warm_up, at_once):
    from core import intake
    data, warm = Path(upload).read_bytes(), Path(warm_up).read_bytes()
    await intake.prepare_image(warm)
    before = status("VmRSS:")
    Path("/proc/self/clear_refs").write_text("5")
    stall, done = 0.0, False
    async def ticker():
        nonlocal stall
        while not done:
            asked = time.monotonic()
            await asyncio.sleep(0.01)
            stall = max(stall, time.monotonic() - asked - 0.01)
    ticking = asyncio.create_task(ticker())
    started, cpu = time.monotonic(), time.process_time()
    calls = (intake.prepare_image(data) for _ in range(at_once))
    results = await asyncio.gather(*calls, return_exceptions=True)
    wall, cpu = time.monotonic() - started, time.process_time() - cpu
    done = True
    await ticking
    print(json.dumps({
        "rss_before_bytes": before,
        "peak_rss_bytes": status("VmHWM:"),
        "cpu_seconds": cpu,
        "wall_seconds": wall,
        "loop_max_stall_seconds": stall,
        "outcomes": [type(r).__name__ for r in results],
    }))

asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
"""


def run_case(root: Path, upload: Path, warm: Path, at_once: int) -> JsonDict:
    env = {**os.environ, "PYTHONPATH": str(root)}
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(upload), str(warm), str(at_once)],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"intake child failed: {done.stderr.strip()[-2000:]}")
    row: JsonDict = json.loads(done.stdout.strip().splitlines()[-1])
    row["rise_bytes"] = row["peak_rss_bytes"] - row["rss_before_bytes"]
    return row


def checkout_core(rev: str, into: Path) -> Path:
    """`core/` as it was at `rev`, read with git archive (the work tree is left alone)."""
    into.mkdir(parents=True, exist_ok=True)
    archive = into / "core.tar"
    with archive.open("wb") as out:
        subprocess.run(
            ["git", "archive", "--format=tar", rev, "core"], cwd=REPO_ROOT, stdout=out, check=True
        )
    with tarfile.open(archive) as tar:
        tar.extractall(into, filter="data")
    return into


def run(plan: Plan, out: Path, before: str | None) -> JsonDict:
    with scratch_dir(NAME) as tmp:
        work = Path(tmp)
        uploads = {
            "bombs": images.flat_png(plan.bomb_side, plan.bomb_side, mode="RGBA"),
            "photos": noise_jpeg(*plan.photo_size, quality=90),
        }
        warm = work / "warm.jpg"
        warm.write_bytes(images.jpeg(640, 480))
        roots = [("after", REPO_ROOT)]
        if before:
            roots.insert(0, (f"before ({before})", checkout_core(before, work / "before")))
        rows: list[JsonDict] = []
        for case, data in uploads.items():
            path = work / f"{case}.bin"
            path.write_bytes(data)
            for label, root in roots:
                print(f"[{NAME}] {case} ×{plan.at_once} on {label} ...", flush=True)
                row = run_case(root, path, warm, plan.at_once)
                rows.append({"case": case, "code": label, "upload_bytes": len(data), **row})
        model: list[JsonDict] = []
        for case, data in model_uploads(plan.model_scale).items():
            print(f"[{NAME}] model: {case} ...", flush=True)
            path = work / "model.bin"
            path.write_bytes(data)
            row = run_case(REPO_ROOT, path, warm, 1)
            predicted = modelled_bytes(data)
            model.append(
                {
                    "case": case,
                    "measured_rise_bytes": row["rise_bytes"],
                    "modelled_bytes": predicted,
                    "measured_over_modelled": row["rise_bytes"] / predicted,
                    "outcome": row["outcomes"][0],
                }
            )
    payload: JsonDict = {
        "benchmark": NAME,
        "machine": machine(),
        "measured": "fresh child process per case; RSS and VmHWM from /proc/self/status",
        "plan": {
            "at_once": plan.at_once,
            "bomb": f"{plan.bomb_side}x{plan.bomb_side} RGBA PNG",
            "photo": f"{plan.photo_size[0]}x{plan.photo_size[1]} noise JPEG",
            "before": before,
        },
        "target_rise_bytes": TARGET_RISE,
        "results": rows,
        "model": model,
    }
    save_json(out, NAME, payload)
    plot(payload, out)
    print(report(payload))
    return payload


def plot(payload: JsonDict, out: Path) -> Path:
    import matplotlib.pyplot as plt

    figure, (rise, stall) = plt.subplots(1, 2, figsize=(12, 4.5))
    rows = payload["results"]
    labels = [f"{r['case']}\n{r['code']}" for r in rows]
    colours = ["tab:red" if r["code"].startswith("before") else "tab:green" for r in rows]
    rise.bar(labels, [r["rise_bytes"] / MB for r in rows], color=colours)
    rise.axhline(TARGET_RISE / MB, color="k", linestyle=":", label="target 300 MiB")
    rise.set_ylabel("peak RSS − RSS before (MiB)")
    rise.set_title(f"{payload['plan']['at_once']} uploads at once")
    rise.legend()
    stall.bar(labels, [r["loop_max_stall_seconds"] * 1000 for r in rows], color=colours)
    stall.set_ylabel("longest event-loop wait (ms)")
    stall.set_title("the loop keeps serving others")
    return save_figure(figure, out, NAME)


def report(payload: JsonDict) -> str:
    rows: list[list[Any]] = [
        [
            r["case"],
            r["code"],
            f"{r['upload_bytes'] / 1024:.0f}",
            f"{r['rss_before_bytes'] / MB:.0f}",
            f"{r['rise_bytes'] / MB:.0f}",
            f"{r['wall_seconds']:.2f}",
            f"{r['cpu_seconds']:.2f}",
            f"{r['loop_max_stall_seconds'] * 1000:.0f}",
            ", ".join(sorted(set(r["outcomes"]))),
        ]
        for r in payload["results"]
    ]
    headers = ["case", "code", "upload KiB", "RSS before MiB", "peak rise MiB", "wall s", "CPU s"]
    model = [
        [
            m["case"],
            f"{m['measured_rise_bytes'] / MB:.0f}",
            f"{m['modelled_bytes'] / MB:.0f}",
            f"{m['measured_over_modelled']:.2f}",
            m["outcome"],
        ]
        for m in payload["model"]
    ]
    return (
        table([*headers, "max loop stall ms", "outcome"], rows)
        + "\n\n"
        + table(["one upload", "measured peak rise MiB", "modelled MiB", "ratio", "outcome"], model)
    )


def main(argv: list[str] | None = None) -> JsonDict:
    cli = parser(NAME, __doc__.splitlines()[0] if __doc__ else NAME)
    cli.add_argument("--before", default=None, help="also measure core/ at this git revision")
    args = cli.parse_args(argv)
    return run(QUICK if args.quick else FULL, out_dir(args), args.before)


if __name__ == "__main__":
    main()
