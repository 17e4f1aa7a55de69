"""`python -m bot` as a real child process, pointed at fakes that run in the test's event loop.

Crash tests kill it with SIGKILL (no cleanup code runs, as after a power cut or an OOM kill);
the webhook test talks to its HTTP server. Its stderr goes to a file, shown when a test fails.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
_KEEP = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "VIRTUAL_ENV", "SYSTEMROOT")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class BotProcess:
    """One run of the bot; `env` is complete (nothing leaks in from the test's environment)."""

    def __init__(self, env: dict[str, str], log_path: Path, *args: str) -> None:
        self.env = {name: os.environ[name] for name in _KEEP if name in os.environ} | env
        self.log_path = log_path
        self.args = args
        self._process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        with self.log_path.open("ab") as log:
            self._process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot",
                *self.args,
                cwd=ROOT,
                env=self.env,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log,
                stderr=log,
            )

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.returncode is None

    async def kill(self) -> None:
        """SIGKILL: the process gets no chance to release leases or finish anything."""
        await self._signal(signal.SIGKILL)

    async def stop(self, timeout: float = 15.0) -> int | None:
        """SIGTERM, as an operator would; SIGKILL if it does not exit in time."""
        await self._signal(signal.SIGTERM, timeout)
        return self._process.returncode if self._process else None

    async def _signal(self, sig: signal.Signals, timeout: float = 10.0) -> None:
        process = self._process
        if process is None or process.returncode is not None:
            return
        process.send_signal(sig)
        try:
            await asyncio.wait_for(process.wait(), timeout)
        except TimeoutError:
            process.kill()
            await process.wait()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
