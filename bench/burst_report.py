"""The burst benchmark's figure and tables, drawn from its JSON payload alone: wall time per N
against the physical limit L + N/30 with each point's 429s, and the per-case CPU."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.output import JsonDict, save_figure, table


def series_name(row: JsonDict) -> str:
    if row["bot"] == "baseline":
        return "floor bot (PTB + AIORateLimiter)"
    tuned = f" WORKERS={row['workers']}" if row["workers"] else " defaults"
    return f"AIVenger {row['database']}{tuned}" + (" candidate" if row["candidate"] else "")


def plot(payload: JsonDict, out: Path) -> Path:
    """Wall time per N against the physical limit; each point labelled with its 429s."""
    import matplotlib.pyplot as plt

    results = [r for r in payload["results"] if not r["heavy_first"]]
    latency, rate = payload["plan"]["model_latency"], payload["plan"]["rate_per_second"]
    target = payload["target_ratio"]

    def floor_seconds(n: float) -> float:
        return float(latency + n / rate)

    sizes = sorted({r["users"] for r in results})
    figure, axis = plt.subplots(figsize=(8.5, 5.5))
    grid = [0, *sizes, max(sizes) * 1.05]
    axis.plot(grid, [floor_seconds(n) for n in grid], "k-", label="physical limit L + N/30")
    axis.plot(
        grid,
        [target * floor_seconds(n) for n in grid],
        "k:",
        label=f"target {target} × (L + N/30)",
    )
    series: dict[str, list[JsonDict]] = {}
    for r in results:
        series.setdefault(series_name(r), []).append(r)
    for name, rows in series.items():
        rows.sort(key=lambda r: r["users"])
        style = "o-" if rows[0]["bot"] == "baseline" else "s--"
        line = axis.plot([r["users"] for r in rows], [r["wall_seconds"] for r in rows], style)
        line[0].set_label(name)
        for r in rows:
            lost = r["photos"] - r["delivered"]
            axis.annotate(
                f"{r['received_429']}×429" + (f", {lost} lost" if lost else ""),
                (r["users"], r["wall_seconds"]),
                textcoords="offset points",
                xytext=(6, -3),
                fontsize=7,
                color=line[0].get_color(),
            )
    axis.set_xlim(left=0)
    axis.set_ylim(bottom=0)
    axis.set_xlabel("users in the burst (N), one photo each at the same moment")
    axis.set_ylabel("seconds until the last avatar arrived")
    load = payload["machine"]["load_average_1_5_15"]
    axis.set_title(
        f"burst: model latency L = {latency:g} s, Telegram refusing > {rate} sends/s"
        f"\n(2 shared cores, load average {load[0]:g} / {load[1]:g} / {load[2]:g} at the end)",
        fontsize=10,
    )
    axis.legend(fontsize=8, loc="upper left")
    axis.grid(True, alpha=0.3)
    return save_figure(figure, out, payload["benchmark"])


def report(payload: JsonDict) -> str:
    rows: list[list[Any]] = []
    for r in payload["results"]:
        sent = sum(r["messages"].values())
        rows.append(
            [
                r["label"] + (" heavy-first" if r["heavy_first"] else ""),
                r["workers"] or ("default" if r["bot"] == "aivenger" else "-"),
                r["users"],
                f"{r['delivered']}/{r['photos']}",
                f"{r['wall_seconds']:.1f}",
                f"{r['floor_seconds']:.1f}",
                f"{r['ratio']:.2f}",
                f"{r['latency'].get('p50', float('nan')):.1f}",
                sent,
                f"{r['received_429']}/{r['calls_inside_retry_after']}",
                f"{r['peak_rss_bytes'] / 2**20:.0f}",
                "yes" if r["meets_target"] else "no",
            ]
        )
    headers = [
        "bot", "W", "N", "avatars", "wall s", "limit s", "× limit", "p50 s",
        "messages", "429s / early", "peak RSS MiB", "target met",
    ]  # fmt: skip
    return table(headers, rows) + "\n\n" + cpu_report(payload)


def cpu_report(payload: JsonDict) -> str:
    """CPU per photo: what the bot spent, and what the rest of the machine took meanwhile."""
    rows = []
    for r in payload["results"]:
        cpu = r["cpu_seconds"]
        rows.append(
            [
                r["label"] + (" heavy-first" if r["heavy_first"] else ""),
                r["users"],
                f"{1000 * cpu['bots'] / r['photos']:.0f}",
                f"{cpu['bots']:.1f}",
                f"{cpu['postgres']:.1f}",
                f"{cpu['others']:.0f}",
                f"{cpu['wall']:.0f}",
            ]
        )
    headers = [
        "bot", "N", "bot CPU ms / photo", "bot CPU s", "PostgreSQL CPU s", "others CPU s",
        "case wall s",
    ]  # fmt: skip
    return table(headers, rows)
