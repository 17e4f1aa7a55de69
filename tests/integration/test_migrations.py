"""Migrations build the schema from empty on both databases and agree with the models."""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.db_fixtures import pg_admin, pg_url, run_blocking, unreachable_postgres

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"
        return
    name = f"aivenger_mig_{uuid.uuid4().hex[:8]}"
    try:
        run_blocking(pg_admin(f'CREATE DATABASE "{name}"'))
    except OSError as exc:
        unreachable_postgres(str(exc))
    yield pg_url(name)
    run_blocking(pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def alembic(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "alembic", *args],
        cwd=ROOT,
        env={"DATABASE_URL": database_url, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_upgrade_from_empty_then_check_finds_no_drift(empty_database: str) -> None:
    upgraded = alembic(empty_database, "upgrade", "head")
    assert upgraded.returncode == 0, upgraded.stderr

    checked = alembic(empty_database, "check")
    assert checked.returncode == 0, checked.stderr + checked.stdout
    assert "No new upgrade operations detected" in checked.stdout + checked.stderr


def test_downgrade_to_base_and_upgrade_again(empty_database: str) -> None:
    for step in (("upgrade", "head"), ("downgrade", "base"), ("upgrade", "head")):
        done = alembic(empty_database, *step)
        assert done.returncode == 0, f"{step}: {done.stderr}"
