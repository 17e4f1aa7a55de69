"""Every I/O the bot does is a fault point (after TigerBeetle's simulator), in plain pytest.

A `FaultPlan` sits on the four ways out of the process: each database commit that wrote
something (an engine `commit` listener, named by what the transaction wrote), each Bot API
request (the Application's request object, named by method), each image-model call and each
blob operation (wrappers passed through `Overrides`). A run with no target records the points
in the order they were hit (`name#n`, the n-th time that name was hit); a run with a target
applies one fault there:

- `raise`: the call fails (a database `OperationalError`, a Telegram `NetworkError` before the
  request is sent, `ImageModelUnavailable`, `StorageError`);
- `lost`:  the Bot API request reaches Telegram, then the answer is lost (`TimedOut`);
- `die`:   the process dies there. From that moment every I/O of the process raises `Killed`
  — database statements, commits, Bot API requests (getUpdates too), model and blob calls — so
  nothing it does afterwards reaches a database, Telegram or the disk. Its open transactions roll
  back as a dropped connection's would, its leases stay in the database until they expire or
  their owner comes back: the durable state is exactly what `kill -9` at that instruction leaves.
  Its shutdown hooks may still run, but cannot touch that state. A fresh Application on the same
  database and blob directory then recovers.
"""

from __future__ import annotations

import contextlib
import re
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx
from sqlalchemy import event
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine
from telegram.error import NetworkError, TimedOut

from bot.context import BotApplication
from core.blobs import BlobStore
from core.errors import ImageModelUnavailable, StorageError
from core.image_model import ImageModel, ImageRequest, ImageResult

FAULTS = ("die", "raise", "lost")
_WRITE = re.compile(r"^\s*(INSERT INTO|UPDATE|DELETE FROM)\s+\"?(\w+)", re.IGNORECASE)
# Commits that only move the inbox's leases and marks (claims, heartbeats, "done" batches) run
# on timers, so their count differs between runs; storing an update (an INSERT) is a point.
_BOOKKEEPING = frozenset({"update telegram_updates", "delete telegram_updates"})


class Killed(Exception):
    """The process died at this point; nothing it does afterwards reaches the outside."""


class InjectedFault(Exception):
    """The `orig` of an injected database error."""


@dataclass
class FaultPlan:
    target: str | None = None  # a point as `name#n`
    fault: str | None = None
    armed: bool = False
    dead: bool = False
    fired: bool = False
    trace: list[str] = field(default_factory=list)
    _counts: Counter[str] = field(default_factory=Counter)

    def point(self, name: str) -> str | None:
        """Count a call at `name`; the fault to apply there now (None: carry on)."""
        if self.dead:
            raise Killed(name)
        if not self.armed:
            return None
        self._counts[name] += 1
        here = f"{name}#{self._counts[name]}"
        self.trace.append(here)
        if here != self.target or self.fired:
            return None
        self.fired = True
        if self.fault == "die":
            self.dead = True
            raise Killed(here)
        return self.fault

    def check_alive(self) -> None:
        if self.dead:
            raise Killed("after death")


def watch_database(engine: AsyncEngine, plan: FaultPlan) -> None:
    """Commits that wrote something are points (`db:<verb table,...>`); any statement of a
    dead process fails."""
    target = engine.sync_engine

    def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        plan.check_alive()

    def after(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        match = _WRITE.match(statement)
        if match and cursor.rowcount != 0:  # a sweep that found nothing wrote nothing
            verb = match.group(1).split()[0].lower()
            conn.info.setdefault("writes", set()).add(f"{verb} {match.group(2).lower()}")

    def commit(conn: Any) -> None:
        writes = conn.info.pop("writes", set())
        plan.check_alive()
        if not writes or writes <= _BOOKKEEPING:
            return
        if plan.point("db:" + ",".join(sorted(writes))) == "raise":
            raise OperationalError("COMMIT", None, InjectedFault("injected at commit"))

    def rollback(conn: Any) -> None:
        with contextlib.suppress(Exception):  # an invalidated connection has no info to reach
            conn.info.pop("writes", None)

    event.listen(target, "before_cursor_execute", before)
    event.listen(target, "after_cursor_execute", after)
    event.listen(target, "commit", commit)
    event.listen(target, "rollback", rollback)


def watch_telegram(application: BotApplication, plan: FaultPlan) -> None:
    """Bot API requests are points `tg:<method>` (getUpdates only dies with the process)."""
    fetch, other = application.bot._request  # the one way to every request PTB makes
    real_fetch, real_other = fetch.do_request, other.do_request

    async def fetching(url: str, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        plan.check_alive()
        return await real_fetch(url, *args, **kwargs)

    async def requesting(url: str, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        method = url.rsplit("/", 1)[-1] if "/file/" not in url else "file"
        fault = plan.point(f"tg:{method}")
        if fault == "raise":
            raise NetworkError("injected: connection refused") from httpx.ConnectError("injected")
        answer = await real_other(url, *args, **kwargs)
        plan.check_alive()
        if fault == "lost":  # as PTB reports a read timeout: TimedOut from httpx's error
            raise TimedOut("injected: the answer was lost") from httpx.ReadTimeout("injected")
        return answer

    fetch.do_request = fetching  # type: ignore[method-assign]
    other.do_request = requesting  # type: ignore[method-assign]


class FaultyModel:
    def __init__(self, model: ImageModel, plan: FaultPlan) -> None:
        self._model, self._plan = model, plan

    async def generate(self, request: ImageRequest) -> ImageResult:
        if self._plan.point("model:generate") is not None:
            raise ImageModelUnavailable("injected: model unavailable", status=503)
        result = await self._model.generate(request)
        self._plan.check_alive()
        return result


class FaultyBlobs:
    """A BlobStore whose writes and reads are points; `exists`/listing only die."""

    def __init__(self, blobs: BlobStore, plan: FaultPlan) -> None:
        self._blobs, self._plan = blobs, plan

    def _at(self, name: str) -> None:
        if self._plan.point(name) is not None:
            raise StorageError(f"injected: {name} failed")

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        self._at("blob:put")
        await self._blobs.put(key, data, content_type)
        self._plan.check_alive()

    async def get(self, key: str) -> bytes:
        self._at("blob:get")
        return await self._blobs.get(key)

    async def delete(self, key: str) -> None:
        self._at("blob:delete")
        await self._blobs.delete(key)

    async def exists(self, key: str) -> bool:
        self._plan.check_alive()
        return await self._blobs.exists(key)

    async def modified_at(self, key: str) -> datetime | None:
        self._plan.check_alive()
        return await self._blobs.modified_at(key)

    async def list_keys(self, prefix: str = "") -> AsyncIterator[str]:
        self._plan.check_alive()
        async for key in self._blobs.list_keys(prefix):
            yield key

    async def close(self) -> None:
        await self._blobs.close()
