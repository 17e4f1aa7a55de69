"""Throwaway state for one run: new SQLite or PostgreSQL databases, registered users, temp dirs.

`--databases` picks the kinds; PostgreSQL is skipped when unreachable, except under CI.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Literal

import asyncpg  # type: ignore[import-untyped]

from core import ledger
from core import users as accounts
from core.db import create_engine, create_session_factory, unit_of_work
from core.migrate import upgrade_to_head
from tests.db_fixtures import pg_admin, pg_url

DbKind = Literal["sqlite", "postgresql"]


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


async def postgres_available() -> str | None:
    """None when PostgreSQL answers, else why not."""
    try:
        await pg_admin("SELECT 1")
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
    await pg_admin(f'CREATE DATABASE "{name}"')
    try:
        url = pg_url(name)
        if migrated:
            await migrate(url)
        yield url
    finally:
        await pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


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


def scratch_dir(prefix: str) -> tempfile.TemporaryDirectory[str]:
    return tempfile.TemporaryDirectory(prefix=f"aivenger-bench-{prefix}-")
