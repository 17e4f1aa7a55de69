"""In-memory `BlobStore` twin for unit tests, with fault injection for failure paths.

It validates keys exactly like the real stores, so a test cannot pass with a key that
production would refuse.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Literal

from core.blobs import validate_key
from core.clock import utcnow
from core.errors import BlobNotFound

Op = Literal["put", "get", "delete", "exists", "list_keys"]
_OPS: frozenset[str] = frozenset({"put", "get", "delete", "exists", "list_keys"})


class FakeBlobStore:
    """Dict-backed store; `fail_next(op, exc)` makes the next call of `op` raise `exc`."""

    def __init__(self) -> None:
        self.blobs: dict[str, bytes] = {}
        self.content_types: dict[str, str] = {}
        self.calls: list[tuple[str, str]] = []
        self.closed = False
        self.written_at: dict[str, datetime] = {}
        self._faults: defaultdict[str, deque[BaseException]] = defaultdict(deque)

    def fail_next(self, op: Op, exc: BaseException, *, times: int = 1) -> None:
        """Queue `exc` for the next `times` calls of `op` (after key validation)."""
        if op not in _OPS:
            raise ValueError(f"unknown blob store operation {op!r}")
        self._faults[op].extend([exc] * times)

    def _enter(self, op: Op, key: str) -> None:
        self.calls.append((op, key))
        faults = self._faults[op]
        if faults:
            raise faults.popleft()

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        validate_key(key)
        self._enter("put", key)
        self.blobs[key] = bytes(data)
        self.content_types[key] = content_type
        self.written_at[key] = utcnow()

    async def get(self, key: str) -> bytes:
        validate_key(key)
        self._enter("get", key)
        try:
            return self.blobs[key]
        except KeyError:
            raise BlobNotFound(f"no blob {key}") from None

    async def delete(self, key: str) -> None:
        validate_key(key)
        self._enter("delete", key)
        self.blobs.pop(key, None)
        self.content_types.pop(key, None)

    async def exists(self, key: str) -> bool:
        validate_key(key)
        self._enter("exists", key)
        return key in self.blobs

    async def modified_at(self, key: str) -> datetime | None:
        validate_key(key)
        self._enter("exists", key)
        return self.written_at.get(key) if key in self.blobs else None

    async def list_keys(self, prefix: str = "") -> AsyncIterator[str]:
        self._enter("list_keys", prefix)
        for key in sorted(self.blobs):
            if key.startswith(prefix):
                yield key

    async def close(self) -> None:
        self.closed = True
