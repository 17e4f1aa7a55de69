"""`python -m bot` as real processes (receiver, workers) against the emulator and the fakes.

The fakes run in the test's event loop; the bot processes reach them over 127.0.0.1 exactly
as they would reach Telegram and OpenRouter.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from core.db import create_engine, create_session_factory, unit_of_work
from core.models import Generation, LedgerEntry, User
from playground.botapi import BotApiEmulator
from tests.e2e.harness import OPENROUTER_KEY, TOKEN
from tests.fakes.openrouter import OpenRouterFake

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class BotProcess:
    """One `python -m bot [role]` child; its stderr (the log) is collected line by line."""

    name: str
    args: list[str]
    env: dict[str, str]
    lines: list[str] = field(default_factory=list)
    process: asyncio.subprocess.Process | None = None
    _reader: asyncio.Task[None] | None = None

    async def start(self) -> BotProcess:
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            *self.args,
            cwd=ROOT,
            env=self.env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        self._reader = asyncio.create_task(self._read())
        return self

    async def _read(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        async for raw in self.process.stdout:
            self.lines.append(raw.decode(errors="replace").rstrip("\n"))

    def signal(self, sig: int) -> None:
        assert self.process is not None
        self.process.send_signal(sig)

    def kill(self) -> None:
        self.signal(signal.SIGKILL)

    async def wait(self, timeout: float) -> int:
        assert self.process is not None
        code = await asyncio.wait_for(self.process.wait(), timeout)
        if self._reader is not None:
            await asyncio.wait_for(self._reader, 5)
        return code

    async def wait_for_line(self, needle: str, timeout: float = 20) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in self.lines:
                if needle in line:
                    return line
            if self.process is not None and self.process.returncode is not None:
                break
            await asyncio.sleep(0.05)
        raise TimeoutError(f"{self.name} never logged {needle!r}:\n" + "\n".join(self.lines[-40:]))

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.kill()
            await self.wait(10)

    def log(self) -> str:
        return "\n".join(self.lines)


@dataclass
class Fleet:
    emu: BotApiEmulator
    model: OpenRouterFake
    env: dict[str, str]
    processes: list[BotProcess] = field(default_factory=list)

    async def spawn(self, name: str, *args: str, **env: Any) -> BotProcess:
        merged = {**self.env, **{k.upper(): str(v) for k, v in env.items()}}
        process = await BotProcess(name, list(args), merged).start()
        self.processes.append(process)
        return process

    async def rows(self) -> list[Generation]:
        engine = create_engine(self.env["DATABASE_URL"])
        try:
            async with unit_of_work(create_session_factory(engine)) as session:
                return list(
                    await session.scalars(select(Generation).order_by(Generation.created_at))
                )
        finally:
            await engine.dispose()

    async def ledger(self, user_id: int) -> tuple[int, int, list[str]]:
        """(balance, sum of ledger, kinds in order) for one user."""
        engine = create_engine(self.env["DATABASE_URL"])
        try:
            async with unit_of_work(create_session_factory(engine)) as session:
                balance = await session.scalar(select(User.credits).where(User.id == user_id))
                total = await session.scalar(
                    select(func.coalesce(func.sum(LedgerEntry.delta), 0)).where(
                        LedgerEntry.user_id == user_id
                    )
                )
                kinds = list(
                    await session.scalars(
                        select(LedgerEntry.kind)
                        .where(LedgerEntry.user_id == user_id)
                        .order_by(LedgerEntry.id)
                    )
                )
            return int(balance or 0), int(total or 0), kinds
        finally:
            await engine.dispose()

    async def settled(self, timeout: float = 30) -> list[Generation]:
        deadline = time.monotonic() + timeout
        while True:
            rows = await self.rows()
            if rows and all(row.status in ("completed", "failed") for row in rows):
                return rows
            if time.monotonic() > deadline:
                raise TimeoutError(f"not settled: {[(r.id[:6], r.status) for r in rows]}")
            await asyncio.sleep(0.1)


def bot_env(
    emu: BotApiEmulator, model: OpenRouterFake, database_url: str, storage_url: str, **extra: Any
) -> dict[str, str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "OPENROUTER_API_KEY": OPENROUTER_KEY,
        "TELEGRAM_API_BASE_URL": emu.api_base_url,
        "TELEGRAM_FILE_BASE_URL": emu.file_base_url,
        "OPENROUTER_BASE_URL": model.base_url,
        "DATABASE_URL": database_url,
        "STORAGE_URL": storage_url,
        "OPENROUTER_TIMEOUT": "20",
        "JOB_LEASE_SECONDS": "3",
        "SWEEP_INTERVAL_SECONDS": "0.5",
        "SHUTDOWN_GRACE_SECONDS": "10",
        "LOG_LEVEL": "INFO",
    }
    env.update({k.upper(): str(v) for k, v in extra.items()})
    return env


@asynccontextmanager
async def fleet(database_url: str, storage_url: str, **extra: Any) -> AsyncIterator[Fleet]:
    async with (
        BotApiEmulator(token=TOKEN, bot_username="aivenger_test_bot") as emu,
        OpenRouterFake(api_key=OPENROUTER_KEY) as model,
    ):
        crew = Fleet(emu, model, bot_env(emu, model, database_url, storage_url, **extra))
        try:
            yield crew
        finally:
            for process in crew.processes:
                await process.stop()
