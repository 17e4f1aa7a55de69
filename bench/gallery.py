"""gallery: 100 page turns through 50 avatars — blob reads, uploads and edit latency per turn.

The bot runs in this process (tests.e2e.harness.bot_world: the real Application on the
emulator) with its blob store wrapped in a counter, which is the only way to see reads from
outside. Two phases of 100 turns each (49 ▶, 49 ◀, ▶ ◀):
  warm  file ids known (the avatars were just sent): expected 0 reads, 0 uploads per turn;
  cold  after the emulator forgets every file id (as after a token change): the first visit of
        each page uploads once and remembers the new id, every later turn is free again.
Latency is from the button press to the emulator receiving editMessageMedia.

    python -m bench.gallery [--quick] [--databases sqlite,postgresql]
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from bench.noise import noise_jpeg, noise_png
from bench.output import JsonDict, machine, out_dir, parser, save_figure, save_json, table
from bench.photos import photo_round_trip
from bench.scratch import (
    DbKind,
    chosen_databases,
    register_users,
    scratch_database,
    scratch_dir,
    usable_databases,
)
from bench.stats import summary
from bot.app import Overrides
from bot.callbacks import Action
from core.blobs.local import LocalBlobStore
from playground.botapi import FakeUser
from tests.e2e.harness import BotWorld, bot_world, text_of

NAME = "gallery"
USER = 1


@dataclass(frozen=True)
class Plan:
    avatars: int
    result_side: int


FULL = Plan(avatars=50, result_side=512)
QUICK = Plan(avatars=4, result_side=64)


class CountingBlobStore:
    """The real local store, counting what passes through it."""

    def __init__(self, inner: LocalBlobStore) -> None:
        self._inner = inner
        self.reads = 0
        self.writes = 0

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        self.writes += 1
        await self._inner.put(key, data, content_type)

    async def get(self, key: str) -> bytes:
        self.reads += 1
        return await self._inner.get(key)

    async def delete(self, key: str) -> None:
        await self._inner.delete(key)

    async def exists(self, key: str) -> bool:
        return await self._inner.exists(key)

    async def modified_at(self, key: str) -> datetime | None:
        return await self._inner.modified_at(key)

    async def list_keys(self, prefix: str = "") -> AsyncIterator[str]:
        async for key in self._inner.list_keys(prefix):
            yield key

    async def close(self) -> None:
        await self._inner.close()


def turns(count: int) -> list[Action]:
    """▶ to the end, ◀ back to the start, then ▶ ◀ until `2 × (count − 1) + 2` turns."""
    forth = [Action.NEXT] * (count - 1)
    back = [Action.PREV] * (count - 1)
    return forth + back + [Action.NEXT, Action.PREV]


def button(message: JsonDict, action: Action) -> str:
    for row in message["reply_markup"]["inline_keyboard"]:
        for key in row:
            if str(key.get("callback_data", "")).startswith(f"{action.value}:"):
                return str(key["callback_data"])
    raise LookupError(f"no {action.name} button on the gallery message")


def showing(message_id: int, position: str) -> Callable[[JsonDict], bool]:
    """Predicate: the gallery message, edited to show `position` ("7 / 50")."""
    return lambda m: m["message_id"] == message_id and text_of(m).startswith(position)


async def page_turns(
    world: BotWorld, store: CountingBlobStore, user: FakeUser, page: JsonDict, total: int
) -> tuple[list[JsonDict], JsonDict]:
    rows: list[JsonDict] = []
    position = 1
    for action in turns(total):
        position += 1 if action is Action.NEXT else -1
        reads, uploads = store.reads, world.emu.uploads
        edits_before = len(world.emu.calls("editMessageMedia"))
        pressed = time.monotonic()
        await user.press(page, button(page, action))
        page = await user.wait_for(showing(page["message_id"], f"{position} / {total}"), 30)
        edit = world.emu.calls("editMessageMedia")[edits_before]
        rows.append(
            {
                "action": action.name.lower(),
                "to_page": position,
                "blob_reads": store.reads - reads,
                "uploads": world.emu.uploads - uploads,
                "edit_seconds": edit.at - pressed,
                "seen_seconds": time.monotonic() - pressed,
            }
        )
    return rows, page


def phase_summary(name: str, rows: list[JsonDict]) -> JsonDict:
    return {
        "phase": name,
        "turns": len(rows),
        "blob_reads": sum(r["blob_reads"] for r in rows),
        "uploads": sum(r["uploads"] for r in rows),
        "turns_with_reads": sum(1 for r in rows if r["blob_reads"]),
        "edit_latency": summary([r["edit_seconds"] for r in rows]),
        "seen_latency": summary([r["seen_seconds"] for r in rows]),
        "reads_after_first_pass": sum(r["blob_reads"] for r in rows[len(rows) // 2 :]),
        "uploads_after_first_pass": sum(r["uploads"] for r in rows[len(rows) // 2 :]),
    }


async def run_database(kind: DbKind, plan: Plan, work: Path) -> JsonDict:
    photo = noise_jpeg(640, 480)
    store = CountingBlobStore(LocalBlobStore(work / "blobs"))
    async with scratch_database(kind, work) as url:
        await register_users(url, [USER], credits=10 * (plan.avatars + 1))
        async with bot_world(
            url,
            work,
            overrides=Overrides(blobs=store),
            rate_limit_per_minute=100_000,  # one user pressing 200 times in seconds
            configure=lambda _emu, model: setattr(
                model, "result_image", noise_png(plan.result_side, plan.result_side)
            ),
        ) as world:
            user = world.user(USER)
            for _ in range(plan.avatars):
                await photo_round_trip(world.emu, user, photo)
            await world.settled(60)
            await user.send_text("/gallery")
            page = await user.wait_for(lambda m: text_of(m).startswith(f"1 / {plan.avatars}"))
            warm, page = await page_turns(world, store, user, page, plan.avatars)
            world.emu.invalidate_file_ids()
            cold, page = await page_turns(world, store, user, page, plan.avatars)
    return {
        "database": kind,
        "avatars": plan.avatars,
        "phases": [phase_summary("warm", warm), phase_summary("cold", cold)],
        "turns": {"warm": warm, "cold": cold},
    }


def plot(payload: JsonDict, out: Path) -> Path:
    import matplotlib.pyplot as plt

    results = payload["results"]
    figure, axes = plt.subplots(2, 1, figsize=(11, 7), sharex=True)
    for result in results:
        rows = result["turns"]["warm"] + result["turns"]["cold"]
        x = list(range(1, len(rows) + 1))
        axes[0].plot(x, [r["edit_seconds"] * 1000 for r in rows], ".", label=result["database"])
        if result is results[0]:
            axes[1].step(x, [r["blob_reads"] for r in rows], where="mid", label="blob reads")
            axes[1].step(x, [r["uploads"] for r in rows], where="mid", label="uploads", ls="--")
    half = len(results[0]["turns"]["warm"]) + 0.5
    for axis in axes:
        axis.axvline(half, color="grey", linestyle=":")
    axes[0].set_ylabel("press → editMessageMedia (ms)")
    axes[0].set_title("gallery paging: warm (file ids known) | cold (file ids forgotten)")
    axes[0].legend()
    axes[1].set_ylabel(f"per turn ({results[0]['database']})")
    axes[1].set_xlabel("turn")
    axes[1].legend()
    return save_figure(figure, out, NAME)


async def run(plan: Plan, databases: list[DbKind], out: Path) -> JsonDict:
    usable, skipped = await usable_databases(databases)
    results: list[JsonDict] = []
    with scratch_dir(NAME) as tmp:
        for kind in usable:
            print(f"[{NAME}] {kind}: {plan.avatars} avatars ...", flush=True)
            results.append(await run_database(kind, plan, Path(tmp) / kind))
    payload: JsonDict = {
        "benchmark": NAME,
        "machine": machine(),
        "measured": "bot in-process (bot_world) with a counting blob store",
        "plan": {"avatars": plan.avatars, "result_side": plan.result_side},
        "targets": {"warm_blob_reads": 0, "warm_uploads": 0},
        "skipped": skipped,
        "results": results,
    }
    save_json(out, NAME, payload)
    plot(payload, out)
    print(report(payload))
    return payload


def report(payload: JsonDict) -> str:
    rows: list[list[Any]] = []
    for result in payload["results"]:
        for phase in result["phases"]:
            rows.append(
                [
                    result["database"],
                    phase["phase"],
                    phase["turns"],
                    phase["blob_reads"],
                    phase["uploads"],
                    f"{phase['reads_after_first_pass']}/{phase['uploads_after_first_pass']}",
                    f"{phase['edit_latency']['p50'] * 1000:.1f}",
                    f"{phase['edit_latency']['p99'] * 1000:.1f}",
                ]
            )
    headers = [
        "db", "phase", "turns", "blob reads", "uploads", "2nd half reads/uploads",
        "edit p50 ms", "edit p99 ms",
    ]  # fmt: skip
    return table(headers, rows)


def main(argv: list[str] | None = None) -> JsonDict:
    cli = parser(NAME, __doc__.splitlines()[0] if __doc__ else NAME)
    args = cli.parse_args(argv)
    plan = QUICK if args.quick else FULL
    return asyncio.run(run(plan, chosen_databases(args), out_dir(args)))


if __name__ == "__main__":
    main()
