"""Which process instance this is, stable across restarts of the same deployment slot.

A worker's leases name the instance that holds them (`generations.claimed_by`). A process
that starts with an id finds the leases that id still holds: it is a restart, and the process
that held them is dead, so they end at once instead of after the lease (`WorkerPool.start`).

Two live processes must never share an id (one would end the other's leases). With
`INSTANCE_ID` unset the id is `<hostname>/<role>/<slot>`, where the slot is the lowest number
this process can hold: a Linux abstract socket name (or, elsewhere, a lock file in the temp
directory). The kernel drops it when a process dies, even by SIGKILL, so a restart takes the
slot its predecessor left, and two processes on one host (or sharing a network namespace)
never get the same slot. Abstract sockets leave nothing on disk. Set `INSTANCE_ID` where
hostnames change on every restart (e.g. Kubernetes Deployments; a StatefulSet pod name is a
good id); without a stable id a dead process's jobs still move on, after the lease
(`JOB_LEASE_SECONDS`) runs out.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import socket
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO

MAX_SLOTS = 256


@dataclass
class InstanceIdentity:
    """The id, and the slot lock that keeps it ours while the process lives."""

    instance_id: str
    _lock: IO[bytes] | socket.socket | None = None

    def release(self) -> None:
        if self._lock is not None:
            with contextlib.suppress(OSError):
                self._lock.close()  # closing the socket or file drops the slot
            self._lock = None


def acquire_identity(
    *, role: str, configured: str | None, database_url: str, lock_dir: Path | None = None
) -> InstanceIdentity:
    """`configured` (INSTANCE_ID) as given, or hostname/role/slot while holding the slot."""
    if configured:
        return InstanceIdentity(configured)
    # Slots are per database: two deployments on one host do not take each other's slots.
    scope = hashlib.sha256(database_url.encode()).hexdigest()[:12]
    host = socket.gethostname() or "localhost"
    for slot in range(MAX_SLOTS):
        held = _hold(f"aivenger-{scope}-{role}-{slot}", lock_dir)
        if held is not None:
            return InstanceIdentity(f"{host}/{role}/{slot}", held)
    # Every slot taken: run without a restart identity (leases still expire on their own).
    return InstanceIdentity(f"{host}/{role}/pid-{os.getpid()}")


def _hold(name: str, lock_dir: Path | None) -> IO[bytes] | socket.socket | None:
    if sys.platform.startswith("linux") and lock_dir is None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.bind("\0" + name)  # the abstract namespace: no file, freed on exit
        except OSError:
            sock.close()
            return None
        return sock
    directory = lock_dir or Path(tempfile.gettempdir()) / "aivenger-instances"
    directory.mkdir(parents=True, exist_ok=True)
    lock = (directory / f"{name}.lock").open("ab")
    try:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        lock.close()
        return None
    return lock
