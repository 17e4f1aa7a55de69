"""OpenRouter's failures (product.md §5) as typed errors, and which of them are worth a retry."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from core.errors import (
    ImageModelAuthError,
    ImageModelBadRequest,
    ImageModelBadResponse,
    ImageModelError,
    ImageModelGone,
    ImageModelModeration,
    ImageModelOutOfCredits,
    ImageModelTimeout,
    ImageModelUnavailable,
)

# OpenRouter's 400 for a model id it does not know at all (a 404 means known, but no endpoint).
_INVALID_MODEL = "not a valid model id"


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a `Retry-After` header: delay-seconds or an HTTP date."""
    if not value or not value.strip():
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - datetime.now(UTC)).total_seconds()
    return max(0.0, seconds) if math.isfinite(seconds) else None


def is_retryable(error: ImageModelError) -> bool:
    """One definition: an error is retried exactly when its type says it is transient."""
    return error.transient


def error_for_code(code: int, message: str, retry_after: float | None = None) -> ImageModelError:
    """The typed error for an HTTP status, or an error code inside a 200 answer."""
    match code:
        case 400 if _INVALID_MODEL in message.lower():
            return ImageModelGone(message, status=code)
        case 400:
            return ImageModelBadRequest(message, status=code)
        case 401:
            return ImageModelAuthError(message, status=code)
        case 402:
            return ImageModelOutOfCredits(message, status=code)
        case 403:
            return ImageModelModeration(message, status=code)
        case 404:
            return ImageModelGone(message, status=code)
        case 408:
            return ImageModelTimeout(message, status=code, retry_after=retry_after)
        case 429 | 500 | 502 | 503 | 504:  # §5's transient answers, and 500/504 like them
            return ImageModelUnavailable(message, status=code, retry_after=retry_after)
        case _ if code >= 500:  # e.g. 501: the provider cannot do this, retrying will not help
            return ImageModelError(message, status=code)
        case _ if 400 <= code < 500:
            return ImageModelBadRequest(message, status=code)
    return ImageModelBadResponse(message, status=code)
