"""The command line every benchmark shares, and where its figures go: JSON, PNG, Markdown tables.

`machine()` stores beside the figures where they came from (the commit, Python, the CPUs, the load).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np

matplotlib.use("Agg")

REPO_ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = REPO_ROOT / "bench" / "results"
QUICK_DIR = RESULTS_DIR / "quick"

JsonDict = dict[str, Any]


def parser(name: str, description: str) -> argparse.ArgumentParser:
    cli = argparse.ArgumentParser(prog=f"python -m bench.{name}", description=description)
    cli.add_argument(
        "--quick", action="store_true", help="tiny sizes: a smoke test of the benchmark (CI)"
    )
    cli.add_argument(
        "--out",
        type=Path,
        default=None,
        help="directory for <name>.json and <name>.png (default bench/results, "
        "or bench/results/quick with --quick)",
    )
    cli.add_argument(
        "--databases",
        default="sqlite,postgresql",
        help="comma-separated subset of sqlite,postgresql",
    )
    return cli


def out_dir(args: argparse.Namespace) -> Path:
    chosen: Path = args.out or (QUICK_DIR if args.quick else RESULTS_DIR)
    chosen.mkdir(parents=True, exist_ok=True)
    return chosen


def machine() -> JsonDict:
    """Where the figures came from, stored beside them."""
    import telegram

    return {
        "commit": _git("rev-parse", "--short", "HEAD"),
        "uncommitted_changes_in_bot_or_core": _git("status", "--porcelain", "--", "bot", "core")
        != "",
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "load_average_1_5_15": [round(x, 2) for x in os.getloadavg()],
        "python_telegram_bot": telegram.__version__,
        "when": time.strftime("%Y-%m-%d %H:%M:%S %z"),
    }


def _git(*args: str) -> str:
    """Read-only git queries, so the figures name the code they measured."""
    try:
        done = subprocess.run(
            ["git", *args], cwd=REPO_ROOT, capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return done.stdout.strip() if done.returncode == 0 else "unknown"


def save_json(out: Path, name: str, payload: JsonDict) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{name}.json"
    path.write_text(json.dumps(payload, indent=2, sort_keys=False, default=_jsonable) + "\n")
    return path


def _jsonable(value: object) -> object:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def save_figure(figure: Any, out: Path, name: str) -> Path:
    import matplotlib.pyplot as plt

    path = out / f"{name}.png"
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


def table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A Markdown table, so what the terminal shows pastes straight into the README."""
    cells = [[_cell(value) for value in row] for row in rows]
    widths = [max([len(h)] + [len(row[i]) for row in cells]) for i, h in enumerate(headers)]
    lines = [
        "| " + " | ".join(h.ljust(widths[i]) for i, h in enumerate(headers)) + " |",
        "|" + "|".join("-" * (w + 2) for w in widths) + "|",
    ]
    lines += ["| " + " | ".join(c.ljust(widths[i]) for i, c in enumerate(r)) + " |" for r in cells]
    return "\n".join(lines)


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 1000 else f"{value:.0f}"
    return str(value)
