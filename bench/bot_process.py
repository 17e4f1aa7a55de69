"""The bot under test, as its own process, started exactly as production starts it.

`python -m bot` (or `python -m bench.baseline` for the floor), pointed at the fakes (bench/fakes.py)
through its environment. So the two CPU cores split as in real life: the bot has a core to
itself, and the fakes' CPU never lands on the bot's event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from bench.fakes import Fakes
from bench.output import REPO_ROOT, JsonDict
from core.settings import Settings
from playground.botapi import BotApiEmulator
from tests.e2e.harness import OPENROUTER_KEY

BotKind = Literal["aivenger", "baseline"]

# The bot under test reads only what a benchmark sets, never the shell's own settings.
_UNSET = frozenset(name.upper() for name in Settings.model_fields)


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
    settings: Mapping[str, object] | None = None,
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
