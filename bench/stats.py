"""What the figures are made of: latency percentiles, and the CPU time a case cost whom."""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np
import psutil  # type: ignore[import-untyped]

from bench.output import JsonDict


def summary(values: Sequence[float]) -> JsonDict:
    """p50/p95/p99 (linear interpolation), mean, min, max and n; seconds in, seconds out."""
    if not values:
        return {"n": 0}
    data = np.asarray(values, dtype=float)
    return {
        "n": len(values),
        "p50": float(np.percentile(data, 50)),
        "p95": float(np.percentile(data, 95)),
        "p99": float(np.percentile(data, 99)),
        "mean": float(data.mean()),
        "min": float(data.min()),
        "max": float(data.max()),
    }


class CpuWatch:
    """CPU seconds spent while a case ran: this process, the bots, PostgreSQL, and the rest.

    "others" is whatever else the machine ran meanwhile (other people's tests on a shared
    box): when it is large, the case's timings are suspect.
    """

    def __init__(self, *pids: int) -> None:
        self._pids = pids

    def __enter__(self) -> CpuWatch:
        self._start = self._sample()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = {k: v - self._start.get(k, 0.0) for k, v in self._sample().items()}
        self.seconds["others"] = max(
            0.0,
            self.seconds["machine"]
            - sum(v for k, v in self.seconds.items() if k not in ("machine", "wall")),
        )

    def _sample(self) -> dict[str, float]:
        times = psutil.cpu_times()
        busy = times.user + times.nice + times.system + getattr(times, "irq", 0.0)
        busy += getattr(times, "softirq", 0.0) + getattr(times, "steal", 0.0)
        own = psutil.Process().cpu_times()
        sample = {"wall": time.monotonic(), "machine": busy, "bench": own.user + own.system}
        sample["bots"] = sum(_cpu_of(pid) for pid in self._pids)
        sample["postgres"] = sum(
            _cpu_of(p.pid) for p in psutil.process_iter(["name"]) if p.info["name"] == "postgres"
        )
        return sample


def _cpu_of(pid: int) -> float:
    try:
        times = psutil.Process(pid).cpu_times()
    except psutil.Error:
        return 0.0
    return float(times.user + times.system + times.children_user + times.children_system)
