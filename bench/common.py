"""What every benchmark shares: the fakes, scratch databases, the bot under test, figures.

The Bot API emulator and the OpenRouter fake (tests/fakes) run in the benchmark's own process
and event loop; the bot under test runs as its own process, exactly as production starts it
(`python -m bot`, or `python -m bench.baseline` for the floor), pointed at the fakes through its
environment. So the two CPU cores split as in real life: the bot has a core to itself, and the
"Telegram + OpenRouter" side's CPU never lands on the bot's event loop. Every timestamp
(update queued, request received) is taken in this process on one monotonic clock.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import json
import os
import platform
import random
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import asyncpg  # type: ignore[import-untyped]
import matplotlib
import numpy as np
import psutil  # type: ignore[import-untyped]
from PIL import Image

from core import ledger
from core import users as accounts
from core.db import create_engine, create_session_factory, unit_of_work
from core.migrate import upgrade_to_head
from core.settings import Settings
from playground.botapi import BotApiEmulator, FakeUser
from tests.db_fixtures import PG_ADMIN_DSN
from tests.e2e.harness import OPENROUTER_KEY, TOKEN
from tests.fakes.openrouter import OpenRouterFake

matplotlib.use("Agg")

REPO_ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = REPO_ROOT / "bench" / "results"
QUICK_DIR = RESULTS_DIR / "quick"

DbKind = Literal["sqlite", "postgresql"]
BotKind = Literal["aivenger", "baseline"]
JsonDict = dict[str, Any]

# The bot under test reads only what a benchmark sets, never the shell's own settings.
_UNSET = frozenset(name.upper() for name in Settings.model_fields)


# --- command line and output ---------------------------------------------------------------


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


def chosen_databases(args: argparse.Namespace) -> list[DbKind]:
    wanted = [part.strip() for part in str(args.databases).split(",") if part.strip()]
    kinds: list[DbKind] = []
    for part in wanted:
        if part == "sqlite":
            kinds.append("sqlite")
        elif part in ("postgresql", "postgres", "pg"):
            kinds.append("postgresql")
        else:
            raise SystemExit(f"unknown database {part!r}: use sqlite,postgresql")
    return kinds


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


# --- statistics ----------------------------------------------------------------------------


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


# --- images --------------------------------------------------------------------------------


def noise_jpeg(width: int, height: int, *, quality: int = 90, seed: int = 0) -> bytes:
    """A JPEG of pure noise: incompressible, so its size on the wire is real."""
    image = Image.frombytes(
        "RGB", (width, height), random.Random(seed).randbytes(width * height * 3)
    )
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality)
    return out.getvalue()


def noise_png(width: int, height: int, *, seed: int = 1) -> bytes:
    """A PNG of pure noise (≈ 3 bytes per pixel): an image model result of a real size."""
    image = Image.frombytes(
        "RGB", (width, height), random.Random(seed).randbytes(width * height * 3)
    )
    out = io.BytesIO()
    image.save(out, "PNG", compress_level=1)
    return out.getvalue()


# --- databases -----------------------------------------------------------------------------


def _pg_url(database: str) -> str:
    base = PG_ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
    return f"{base}/{database}"


async def _pg_admin(sql: str) -> None:
    connection = await asyncpg.connect(PG_ADMIN_DSN, timeout=5)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


async def postgres_available() -> str | None:
    """None when PostgreSQL answers, else why not."""
    try:
        await _pg_admin("SELECT 1")
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


async def migrate(url: str) -> None:
    engine = create_engine(url)
    try:
        await upgrade_to_head(engine)
    finally:
        await engine.dispose()


@contextlib.asynccontextmanager
async def scratch_database(
    kind: DbKind, directory: Path, *, migrated: bool = True
) -> AsyncIterator[str]:
    """A new, empty database for one run: a SQLite file, or a PostgreSQL database dropped after."""
    if kind == "sqlite":
        url = f"sqlite+aiosqlite:///{directory / f'bench-{uuid.uuid4().hex[:8]}.db'}"
        if migrated:
            await migrate(url)
        yield url
        return
    name = f"aivenger_bench_{uuid.uuid4().hex[:10]}"
    await _pg_admin(f'CREATE DATABASE "{name}"')
    try:
        url = _pg_url(name)
        if migrated:
            await migrate(url)
        yield url
    finally:
        await _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def register_users(database_url: str, ids: Sequence[int], *, credits: int = 30) -> None:
    """Accounts as /start makes them (core.users.register: the row and the welcome grant,
    with the profile the emulator's users send, so no photo rewrites it), topped up by an
    admin grant to `credits`, all in one transaction."""
    engine = create_engine(database_url)
    sessions = create_session_factory(engine)
    try:
        async with unit_of_work(sessions) as session:
            for user_id in ids:
                profile = accounts.Profile(
                    user_id=user_id, first_name=f"User{user_id}", language_code="en"
                )
                await accounts.register(session, profile=profile, free_credits=30)
                if credits > 30:
                    await ledger.credit(
                        session,
                        user_id=user_id,
                        amount=credits - 30,
                        kind=ledger.LedgerKind.ADMIN,
                        key=f"bench:{user_id}",
                    )
    finally:
        await engine.dispose()


async def usable_databases(kinds: Sequence[DbKind]) -> tuple[list[DbKind], dict[str, str]]:
    """The kinds we can run on, and why the others were skipped (CI must not skip PostgreSQL)."""
    usable: list[DbKind] = []
    skipped: dict[str, str] = {}
    for kind in kinds:
        reason = await postgres_available() if kind == "postgresql" else None
        if reason is None:
            usable.append(kind)
        elif os.environ.get("CI", "").lower() == "true":
            raise SystemExit(f"PostgreSQL is required under CI and is unreachable: {reason}")
        else:
            skipped[kind] = reason
            print(f"skipping {kind}: {reason}", file=sys.stderr)
    return usable, skipped


# --- the fakes -----------------------------------------------------------------------------


@dataclass
class Fakes:
    emu: BotApiEmulator
    model: OpenRouterFake


@contextlib.asynccontextmanager
async def fakes(
    *, model_latency: float = 0.0, result_image: bytes | None = None
) -> AsyncIterator[Fakes]:
    async with (
        BotApiEmulator(token=TOKEN, bot_username="aivenger_bench_bot") as emu,
        OpenRouterFake(api_key=OPENROUTER_KEY) as model,
    ):
        model.latency = model_latency
        if result_image is not None:
            model.result_image = result_image
        yield Fakes(emu, model)


# --- the bot under test, as its own process -------------------------------------------------


@dataclass
class BotProcess:
    kind: BotKind
    process: asyncio.subprocess.Process
    spawned_at: float  # monotonic, just before the process was created
    ready_at: float  # monotonic: the emulator received the first getUpdates
    log_path: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def startup_seconds(self) -> float:
        return self.ready_at - self.spawned_at

    def log_problems(self, keep: int = 5) -> JsonDict:
        """WARNING and worse lines the bot logged: counts, and the first few, for the JSON."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return {"warnings": 0, "errors": 0, "first": []}
        levels = (" WARNING ", " ERROR ", " CRITICAL ")
        lines = [line for line in text.splitlines() if any(level in line for level in levels)]
        return {
            "warnings": sum(" WARNING " in line for line in lines),
            "errors": sum(" ERROR " in line or " CRITICAL " in line for line in lines),
            "first": [line[:300] for line in lines[:keep]],
        }

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


def bot_environment(
    fake: Fakes, *, database_url: str, data_dir: Path, root: Path | None = None, **settings: object
) -> dict[str, str]:
    """The bot's environment: every external URL pointed at the fakes; extra SETTINGS as given.

    `root` runs the bot from another checkout (a candidate change) instead of this one.
    """
    env = {k: v for k, v in os.environ.items() if k not in _UNSET}
    env.update(
        {
            "TELEGRAM_BOT_TOKEN": fake.emu.token,
            "OPENROUTER_API_KEY": OPENROUTER_KEY,
            "TELEGRAM_API_BASE_URL": fake.emu.api_base_url,
            "TELEGRAM_FILE_BASE_URL": fake.emu.file_base_url,
            "OPENROUTER_BASE_URL": fake.model.base_url,
            "DATABASE_URL": database_url,
            "STORAGE_URL": f"file:{data_dir / 'blobs'}",
            "PYTHONUNBUFFERED": "1",
            # Runs in its scratch directory (no stray .env) on this tree's code (or root's).
            "PYTHONPATH": os.pathsep.join(
                filter(None, [str(root or REPO_ROOT), str(REPO_ROOT), env.get("PYTHONPATH")])
            ),
        }
    )
    env.update({key.upper(): str(value) for key, value in settings.items()})
    return env


def bot_command(kind: BotKind, profile: Path | None = None) -> list[str]:
    module = "bot" if kind == "aivenger" else "bench.baseline"
    if profile is None:
        return [sys.executable, "-m", module]
    # pyinstrument writes its report when the bot exits cleanly (SIGINT → run_polling returns).
    return [sys.executable, "-m", "pyinstrument", "-r", "html", "-o", str(profile), "-m", module]


@contextlib.asynccontextmanager
async def bot_process(
    kind: BotKind,
    fake: Fakes,
    *,
    database_url: str,
    data_dir: Path,
    ready_timeout: float = 60.0,
    profile: Path | None = None,
    settings: dict[str, object] | None = None,
    root: Path | None = None,
) -> AsyncIterator[BotProcess]:
    """Start the bot (or the baseline) and yield once it polls; SIGINT and wait on the way out."""
    await asyncio.to_thread(data_dir.mkdir, parents=True, exist_ok=True)
    env = bot_environment(
        fake, database_url=database_url, data_dir=data_dir, root=root, **(settings or {})
    )
    log_path = data_dir / f"{kind}.log"
    polls_before = len(fake.emu.calls("getUpdates"))
    with log_path.open("wb") as log:
        spawned_at = time.monotonic()
        process = await asyncio.create_subprocess_exec(
            *bot_command(kind, profile), cwd=data_dir, env=env, stdout=log, stderr=log
        )
        running = BotProcess(kind, process, spawned_at, spawned_at, log_path)
        try:
            running.ready_at = await first_poll_after(
                fake.emu, polls_before, process, ready_timeout
            )
            yield running
        except BaseException:
            print(f"--- {kind} log tail ---\n{running.log_tail()}", file=sys.stderr)
            raise
        finally:
            await stop_process(process)


async def first_poll_after(
    emu: BotApiEmulator, polls_before: int, process: asyncio.subprocess.Process, within: float
) -> float:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        polls = emu.calls("getUpdates")
        if len(polls) > polls_before:
            return polls[polls_before].at
        if process.returncode is not None:
            raise RuntimeError(f"the bot exited with {process.returncode} before polling")
        await asyncio.sleep(0.002)
    raise TimeoutError(f"the bot did not poll within {within}s")


async def stop_process(process: asyncio.subprocess.Process, grace: float = 45.0) -> int:
    """SIGINT like Ctrl-C (PTB stops cleanly); the loop keeps turning, so the fakes still answer."""
    if process.returncode is None:
        process.send_signal(signal.SIGINT)
        try:
            await asyncio.wait_for(process.wait(), grace)
        except TimeoutError:
            process.kill()
            await process.wait()
    return int(process.returncode or 0)


# --- photos in, avatars out ----------------------------------------------------------------


def is_photo(message: JsonDict) -> bool:
    return bool(message.get("photo"))


def photo_after(message_id: int) -> Any:
    """Predicate: a photo the bot sent after this message (AIVenger's avatar or the floor's)."""
    return lambda m: is_photo(m) and m["message_id"] > message_id


def sent_photo_arrivals(emu: BotApiEmulator) -> dict[tuple[int, int], float]:
    """(chat_id, message_id) → when the emulator received the successful sendPhoto."""
    found: dict[tuple[int, int], float] = {}
    for call in emu.calls("sendPhoto"):
        result = call.response.get("result") if call.response.get("ok") else None
        if isinstance(result, dict):
            found[(int(result["chat"]["id"]), int(result["message_id"]))] = call.at
    return found


async def arrival_of(emu: BotApiEmulator, chat_id: int, message_id: int) -> float:
    for _ in range(1000):
        for call in reversed(emu.calls("sendPhoto")):
            result = call.response.get("result") if call.response.get("ok") else None
            if (
                isinstance(result, dict)
                and result["message_id"] == message_id
                and result["chat"]["id"] == chat_id
            ):
                return call.at
        await asyncio.sleep(0.001)  # the response is recorded right after the message
    raise LookupError(f"no sendPhoto produced message {message_id} in chat {chat_id}")


async def photo_round_trip(
    emu: BotApiEmulator, user: FakeUser, photo: bytes, *, within: float = 60.0
) -> float:
    """Seconds from the photo update being queued to the emulator receiving the photo back."""
    sent = await user.send_photo(photo)
    queued = time.monotonic()  # send_photo queues the update without yielding to the loop
    reply = await user.wait_for(photo_after(sent["message_id"]), within)
    return await arrival_of(emu, user.chat_id, reply["message_id"]) - queued


def scratch_dir(prefix: str) -> tempfile.TemporaryDirectory[str]:
    return tempfile.TemporaryDirectory(prefix=f"aivenger-bench-{prefix}-")
