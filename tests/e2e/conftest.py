"""End-to-end fixtures: a running bot on SQLite by default (PostgreSQL where it matters)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.db_fixtures import sqlite_url
from tests.e2e.harness import BotWorld, bot_world


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[BotWorld]:
    async with bot_world(await sqlite_url(tmp_path), tmp_path) as running_world:
        yield running_world


@pytest.fixture
async def world_on_each_database(database_url: str, tmp_path: Path) -> AsyncIterator[BotWorld]:
    async with bot_world(database_url, tmp_path) as running_world:
        yield running_world
