"""Process identity: stable across restarts of one slot, never shared by two live processes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from core.instance import acquire_identity

DB = "sqlite+aiosqlite:///test-instance.db"


@pytest.mark.parametrize("files", [False, True], ids=["abstract-socket", "lock-file"])
def test_two_live_processes_get_different_ids_and_a_restart_gets_the_dead_ones(
    tmp_path: Path, files: bool
) -> None:
    lock_dir = tmp_path if files else None
    first = acquire_identity(role="worker", configured=None, database_url=DB, lock_dir=lock_dir)
    second = acquire_identity(role="worker", configured=None, database_url=DB, lock_dir=lock_dir)
    assert first.instance_id != second.instance_id
    assert first.instance_id.endswith("/worker/0") and second.instance_id.endswith("/worker/1")

    first.release()  # the process died
    again = acquire_identity(role="worker", configured=None, database_url=DB, lock_dir=lock_dir)
    assert again.instance_id == first.instance_id
    for identity in (second, again):
        identity.release()


def test_a_killed_process_frees_its_slot(tmp_path: Path) -> None:
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import time; from core.instance import acquire_identity as a; "
            f"i = a(role='run', configured=None, database_url={DB!r}); "
            "print(i.instance_id, flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert holder.stdout is not None
    held = holder.stdout.readline().strip()
    mine = acquire_identity(role="run", configured=None, database_url=DB)
    assert mine.instance_id != held
    holder.kill()  # SIGKILL: no clean-up code runs
    holder.wait()
    restarted = acquire_identity(role="run", configured=None, database_url=DB)
    assert restarted.instance_id == held
    for identity in (mine, restarted):
        identity.release()


def test_a_configured_instance_id_is_used_as_given() -> None:
    identity = acquire_identity(role="run", configured="bot-0", database_url=DB)
    assert identity.instance_id == "bot-0"
    identity.release()
