"""targets: issue 15's target table (target | measured | met?) from the results JSON files.

Reads bench/results/{burst,overhead,memory,dbwork,ledger}.json (whatever of them exists) and
prints the Markdown table bench/README.md carries, so the README's figures are the JSON's.

    python -m bench.targets [--results DIR]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from bench.output import RESULTS_DIR

JsonDict = dict[str, Any]
MIB = 1024 * 1024
GIB = 1024 * MIB


def load(results: Path, name: str) -> JsonDict | None:
    path = results / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else None


def yes(ok: bool) -> str:
    return "yes" if ok else "**no**"


def burst_rows(burst: JsonDict, low: JsonDict | None = None) -> list[list[str]]:
    """One row per AIVenger case at defaults; `low` is an earlier run (burst-low-load.json: a
    shared machine at its least loaded that day), quoted beside."""
    rows = []
    quiet = {
        (r["users"], r["database"]): r
        for r in (low or {}).get("results", [])
        if r["bot"] == "aivenger" and r["workers"] is None and not r["heavy_first"]
    }
    results = [r for r in burst["results"] if not r["heavy_first"] and not r["candidate"]]
    floors = {r["users"]: r for r in results if r["bot"] == "baseline"}
    for r in results:
        if r["bot"] != "aivenger" or r["workers"] is not None:
            continue
        floor = floors.get(r["users"])
        lost = r["photos"] - r["delivered"]
        measured = (
            f"{r['wall_seconds']:.1f} s = {r['ratio']:.2f}× (L + N/30), "
            f"{r['received_429']} 429s" + (f", **{lost} not delivered**" if lost else "")
        )
        if floor is not None:
            measured += f"; floor bot {floor['wall_seconds']:.1f} s, {floor['received_429']} 429s"
        calm = quiet.get((r["users"], r["database"]))
        if calm is not None and low is not None:
            measured += (
                f" (older run at `{str(low['machine'].get('commit', '?'))[:7]}`, machine shared"
                f" at load ~4: {calm['wall_seconds']:.1f} s"
                f" = {calm['ratio']:.2f}×, "
                f"{calm['received_429']} 429s)"
            )
        faster = floor is None or r["wall_seconds"] < floor["wall_seconds"]
        rows.append(
            [
                f"burst N={r['users']}, {r['database']}, defaults",
                "≤ 1.2 × (L + N/30), ≤ 5 429s, all delivered, faster than the floor bot",
                measured,
                yes(bool(r["meets_target"]) and faster),
            ]
        )
    return rows


def overhead_rows(overhead: JsonDict) -> list[list[str]]:
    rows = []
    for r in overhead["results"]:
        if r["bot"] != "aivenger" or "ratio" not in r:
            continue
        ratio = r["ratio"]
        rows.append(
            [
                f"overhead {r['label'].removeprefix('aivenger-')}, model {r['model_latency']:g} s",
                "p50 ≤ 1.5×, p95 ≤ 2× the floor bot",
                f"p50 {ratio['p50']:.2f}×, p95 {ratio['p95']:.2f}× "
                f"({r['latency']['p50'] * 1000:.0f} / {r['latency']['p95'] * 1000:.0f} ms)",
                yes(ratio["p50"] <= 1.5 and ratio["p95"] <= 2.0),
            ]
        )
    return rows


def memory_rows(memory: JsonDict | None, burst: JsonDict | None) -> list[list[str]]:
    rows = []
    if burst is not None:
        peaks = [
            r
            for r in burst["results"]
            if r["bot"] == "aivenger" and r["users"] == 500 and not r["candidate"]
        ]
        for r in peaks:
            rows.append(
                [
                    f"memory: peak RSS in the N=500 burst, {r['database']}",
                    "stated, ≤ 1 GiB",
                    f"{r['peak_rss_bytes'] / MIB:.0f} MiB",
                    yes(r["peak_rss_bytes"] <= GIB),
                ]
            )
    if memory is not None:
        for r in memory["in_flight"]:
            if r["in_flight"] != 10 or r["candidate"]:
                continue
            rows.append(
                [
                    "memory per job, K=10 in flight",
                    "≤ 3 × the image bytes (in + out)",
                    f"{r['per_job_ratio']:.2f}× ({r['delta_bytes'] / MIB:.0f} MiB for "
                    f"{r['payload_bytes'] / MIB:.1f} MiB of images)",
                    yes(r["per_job_ratio"] <= 3.0),
                ]
            )
        grown = memory["growth"]
        rows.append(
            [
                f"memory over {grown['jobs']} jobs",
                "no growth",
                f"{grown['growth_bytes'] / MIB:+.1f} MiB from job "
                f"{grown['checkpoints'][1][0]} to {grown['jobs']} "
                f"({grown['growth_bytes_per_job']:.0f} B/job)",
                "see memory",
            ]
        )
    return rows


def database_rows(dbwork: JsonDict | None, ledger: JsonDict | None) -> list[list[str]]:
    rows = []
    if dbwork is not None:
        for r in dbwork["results"]:
            m = r["median"]
            phases = ", ".join(
                f"{phase} {m.get(f'{phase}.transactions', 0):.0f}"
                for phase in ("inbox", "intake", "claim", "job")
            )
            rows.append(
                [
                    f"database work per avatar, {r['database']}",
                    "counted and reported",
                    f"{m['transactions']:.0f} transactions ({phases}), "
                    f"{m['statements']:.0f} statements",
                    "reported",
                ]
            )
    if ledger is not None:
        for db in ("sqlite", "postgresql"):
            per = {
                r["concurrent_users"]: r["per_second"]
                for r in ledger["results"]
                if r["database"] == db and r["operation"] == "submit"
            }
            if per:
                text = ", ".join(
                    f"{v:.0f} at {u} user{'s' if u > 1 else ''}" for u, v in sorted(per.items())
                )
                rows.append([f"submissions per second, {db}", "reported", text, "reported"])
    return rows


def target_table(results: Path) -> str:
    burst, overhead = load(results, "burst"), load(results, "overhead")
    memory, dbwork, ledger = (
        load(results, "memory"),
        load(results, "dbwork"),
        load(results, "ledger"),
    )
    rows: list[list[str]] = []
    if burst is not None:
        rows += burst_rows(burst, load(results, "burst-low-load"))
    if overhead is not None:
        rows += overhead_rows(overhead)
    rows += memory_rows(memory, burst)
    rows += database_rows(dbwork, ledger)
    lines = ["| what | target | measured | met? |", "|---|---|---|---|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> str:
    cli = argparse.ArgumentParser(prog="python -m bench.targets", description=__doc__)
    cli.add_argument("--results", type=Path, default=RESULTS_DIR)
    args = cli.parse_args(argv)
    text = target_table(args.results)
    print(text)
    return text


if __name__ == "__main__":
    main()
