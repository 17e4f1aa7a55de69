"""The per-user token bucket: a burst passes, a flood gets one notice, then silence."""

from __future__ import annotations

from core.flood_guard import FloodGuard, Verdict


def test_a_burst_passes_then_a_flood_is_told_once() -> None:
    limiter = FloodGuard(per_minute=6, burst=3)
    verdicts = [limiter.check(1, now=0.0) for _ in range(6)]

    assert verdicts == [Verdict.ALLOW] * 3 + [Verdict.DENY_NOTIFY] + [Verdict.DENY_SILENT] * 2


def test_tokens_refill_over_time_and_users_are_independent() -> None:
    limiter = FloodGuard(per_minute=6, burst=1)
    assert limiter.check(1, now=0.0) is Verdict.ALLOW
    assert limiter.check(1, now=1.0) is Verdict.DENY_NOTIFY
    assert limiter.check(2, now=1.0) is Verdict.ALLOW
    assert limiter.check(1, now=11.0) is Verdict.ALLOW  # 6/min = one token per 10 s
    assert limiter.check(1, now=11.5) is Verdict.DENY_NOTIFY  # a new flood, a new notice
