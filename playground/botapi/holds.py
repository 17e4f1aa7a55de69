"""Holding one Bot API method at the door, so a test can act while the bot waits on Telegram.

`emu.hold("sendPhoto")` parks every sendPhoto request before Telegram executes it;
`emu.hold("sendPhoto", after=True)` executes it (the photo is in the chat) and parks the
answer. The test waits for `arrived()`, does what it came to do (kill the bot, replay an
update...), then `release()`s the parked requests, or `discard()`s them: a request parked
before execution is then answered with an error and never executed, as if its connection
had dropped on the way to Telegram.
"""

from __future__ import annotations

import asyncio

from .errors import ApiError

_DROPPED = ApiError(502, "Bad Gateway: the connection was dropped")


class Hold:
    """Parks calls of one method until released; `arrivals` counts every call it parked."""

    def __init__(self, method: str, *, after: bool, after_update: int | None = None) -> None:
        self.method = method
        self.after = after
        # For `emu.hold_after_update`: parks only once getUpdates has served this update.
        self.after_update = after_update
        self.armed = after_update is None
        self.arrivals = 0
        self._open = asyncio.Event()
        self._discarded = False
        self._arrived = asyncio.Condition()

    @property
    def active(self) -> bool:
        return not self._open.is_set()

    async def park(self) -> None:
        """Called by the server for each request; raises ApiError when discarded."""
        self.arrivals += 1
        async with self._arrived:
            self._arrived.notify_all()
        await self._open.wait()
        if self._discarded and not self.after:
            raise _DROPPED

    async def arrived(self, count: int = 1, timeout: float = 10.0) -> None:
        """Wait until at least `count` calls are (or were) parked here."""
        async with asyncio.timeout(timeout), self._arrived:
            await self._arrived.wait_for(lambda: self.arrivals >= count)

    def arm_if_served(self, updates: object) -> None:
        if isinstance(updates, list) and any(
            isinstance(u, dict) and u.get("update_id") == self.after_update for u in updates
        ):
            self.armed = True

    def release(self) -> None:
        """Let parked and later calls through."""
        self._open.set()

    def discard(self) -> None:
        """Parked calls that were not executed yet never will be; later calls pass."""
        self._discarded = True
        self._open.set()
