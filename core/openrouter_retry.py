"""When to retry a failed model call and how long to wait: exponential backoff with jitter, the
provider's Retry-After honoured within the wait budget, and the error that says we gave up."""

from __future__ import annotations

import random

from core.errors import ImageModelError, ImageModelUnavailable
from core.openrouter_errors import is_retryable


def retry_delay(
    exc: ImageModelError, attempt: int, budget: float, *, max_attempts: int, backoff_base: float
) -> float | None:
    """Seconds to wait before the next attempt, or None to give up now."""
    if not is_retryable(exc) or attempt >= max_attempts or budget <= 0:
        return None
    jitter = random.random()  # noqa: S311 - spreading retries, not security
    retry_after = exc.retry_after if isinstance(exc, ImageModelUnavailable) else None
    if retry_after is not None:
        if retry_after > budget:
            return None  # the provider told us when; waiting less is pointless
        return min(budget, retry_after + jitter * backoff_base * 0.1)
    backoff = backoff_base * 2.0 ** (attempt - 1)
    return min(budget, backoff * (0.5 + jitter / 2))


def gave_up(exc: ImageModelUnavailable, attempts: int) -> ImageModelUnavailable:
    """The same kind of error, saying how many attempts it outlived."""
    message = f"{exc} (gave up after {attempts} attempt{'s' if attempts > 1 else ''})"
    return type(exc)(message, status=exc.status, retry_after=exc.retry_after)
