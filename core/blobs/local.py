"""Blobs in a local directory: the default for a single machine (`STORAGE_URL=file:data/blobs`).

Writes are atomic (temp file in the same directory, fsync, rename) so a crash never leaves a
half-written photo under a real key. File I/O runs in a worker thread to keep the loop free.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

from core.blobs import validate_key
from core.errors import BlobNotFound, InvalidBlobKey, StorageError

_TEMP_PREFIX = ".tmp-"


class LocalBlobStore:
    """`BlobStore` over a directory tree; keys map to relative paths below `root`."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        try:
            Path(root).mkdir(parents=True, exist_ok=True)
            self.root = Path(root).resolve(strict=True)
        except OSError as exc:
            raise StorageError(f"cannot create blob directory: {exc.strerror}") from exc

    def _path(self, key: str) -> Path:
        """Map a key to a path, refusing anything that would land outside `root`."""
        path = self.root / validate_key(key)
        # Defence in depth: a symlinked directory inside root must not lead elsewhere.
        try:
            resolved = path.resolve()
        except (OSError, RuntimeError) as exc:  # symlink loops
            raise InvalidBlobKey(f"blob key {key!r} does not resolve") from exc
        if not resolved.is_relative_to(self.root):
            raise InvalidBlobKey(f"blob key {key!r} resolves outside the blob directory")
        return path

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        path = self._path(key)
        try:
            await asyncio.to_thread(_atomic_write, path, bytes(data))
        except OSError as exc:
            raise StorageError(f"cannot write blob {key}: {exc.strerror or exc}") from exc

    async def get(self, key: str) -> bytes:
        path = self._path(key)
        try:
            return await asyncio.to_thread(path.read_bytes)
        except FileNotFoundError as exc:
            raise BlobNotFound(f"no blob {key}") from exc
        except OSError as exc:
            raise StorageError(f"cannot read blob {key}: {exc.strerror or exc}") from exc

    async def delete(self, key: str) -> None:
        path = self._path(key)
        try:
            await asyncio.to_thread(path.unlink, missing_ok=True)
        except OSError as exc:
            raise StorageError(f"cannot delete blob {key}: {exc.strerror or exc}") from exc

    async def exists(self, key: str) -> bool:
        path = self._path(key)
        try:
            return await asyncio.to_thread(path.is_file)
        except OSError as exc:
            raise StorageError(f"cannot stat blob {key}: {exc.strerror or exc}") from exc

    async def modified_at(self, key: str) -> datetime | None:
        path = self._path(key)
        try:
            stamp = await asyncio.to_thread(lambda: path.stat().st_mtime)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StorageError(f"cannot stat blob {key}: {exc.strerror or exc}") from exc
        return datetime.fromtimestamp(stamp, UTC).replace(tzinfo=None)

    async def list_keys(self, prefix: str = "") -> AsyncIterator[str]:
        try:
            keys = await asyncio.to_thread(self._walk, prefix)
        except OSError as exc:
            raise StorageError(f"cannot list blobs: {exc.strerror or exc}") from exc
        for key in keys:
            yield key

    def _walk(self, prefix: str) -> list[str]:
        """Valid keys below root; temp files and stray names are skipped, symlinks not followed."""
        found: list[str] = []

        def fail(exc: OSError) -> None:
            raise exc

        for dirpath, _dirs, files in os.walk(self.root, onerror=fail):
            rel_dir = Path(dirpath).relative_to(self.root)
            for name in files:
                if name.startswith(_TEMP_PREFIX):
                    continue
                key = (rel_dir / name).as_posix()
                if key.startswith(prefix) and _is_valid(key):
                    found.append(key)
        found.sort()
        return found

    async def close(self) -> None:
        """Nothing to release; present so callers treat every store alike."""


def _is_valid(key: str) -> bool:
    try:
        validate_key(key)
    except InvalidBlobKey:
        return False
    return True


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=_TEMP_PREFIX, suffix=".part")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        raise
    _fsync_dir(path.parent)


def _fsync_dir(directory: Path) -> None:
    """Persist the rename itself; best effort, as some filesystems refuse directory fsync."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
