"""Per-user token buckets on incoming messages: a flood gets one notice, not one reply each.

In-process on purpose: it protects this process from abuse and is not needed for
correctness (charges and limits on jobs are enforced by the database).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from enum import Enum


class Verdict(Enum):
    ALLOW = "allow"
    DENY_NOTIFY = "deny_notify"  # the first refusal of a flood: tell the user once
    DENY_SILENT = "deny_silent"


@dataclass
class _Bucket:
    tokens: float
    updated: float
    notified: bool = False


class FloodGuard:
    def __init__(
        self, *, per_minute: int, burst: int | None = None, max_users: int = 100_000
    ) -> None:
        self._rate = per_minute / 60.0
        self._capacity = float(burst if burst is not None else per_minute)
        self._buckets: dict[int, _Bucket] = {}
        self._max_users = max_users

    def check(self, user_id: int, *, now: float | None = None) -> Verdict:
        moment = time.monotonic() if now is None else now
        bucket = self._buckets.get(user_id)
        if bucket is None:
            if len(self._buckets) >= self._max_users:
                self._forget_full_buckets()
            bucket = self._buckets[user_id] = _Bucket(self._capacity, moment)
        bucket.tokens = min(self._capacity, bucket.tokens + (moment - bucket.updated) * self._rate)
        bucket.updated = moment
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            bucket.notified = False
            return Verdict.ALLOW
        if bucket.notified:
            return Verdict.DENY_SILENT
        bucket.notified = True
        return Verdict.DENY_NOTIFY

    def _forget_full_buckets(self) -> None:
        """Bound memory: users whose bucket has refilled carry no state worth keeping."""
        now = time.monotonic()
        for user_id, bucket in list(self._buckets.items()):
            if bucket.tokens + (now - bucket.updated) * self._rate >= self._capacity:
                del self._buckets[user_id]
