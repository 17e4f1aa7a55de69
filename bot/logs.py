"""Logging, configured once per process.

Every handler gets a formatter that redacts secrets from the *final* line (message, extras
and traceback alike), so no code path can leak the bot token or an API key into a log.
"""

from __future__ import annotations

import logging
import os
import re
import sys
from collections.abc import Iterable

from pythonjsonlogger.json import JsonFormatter

from core.settings import Settings

REDACTED = "[REDACTED]"
# A bot token wherever it appears, e.g. inside a Bot API URL.
_TOKEN_PATTERN = re.compile(r"\b\d{5,}:[A-Za-z0-9_-]{20,}\b")
_TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s%(context)s"


class Redactor:
    def __init__(self, secrets: Iterable[str]) -> None:
        values = sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)
        self._literal = re.compile("|".join(re.escape(v) for v in values)) if values else None

    def __call__(self, text: str) -> str:
        if self._literal is not None:
            text = self._literal.sub(REDACTED, text)
        return _TOKEN_PATTERN.sub(REDACTED, text)


class _ContextFilter(logging.Filter):
    """Text lines show the generation and user a line is about, when it carries them."""

    def filter(self, record: logging.LogRecord) -> bool:
        parts = [
            f"{name}={getattr(record, name)}"
            for name in ("generation_id", "user_id")
            if getattr(record, name, None) is not None
        ]
        record.context = f" [{' '.join(parts)}]" if parts else ""
        return True


class RedactingFormatter(logging.Formatter):
    def __init__(self, inner: logging.Formatter, redact: Redactor) -> None:
        super().__init__()
        self._inner = inner
        self._redact = redact

    def format(self, record: logging.LogRecord) -> str:
        return self._redact(self._inner.format(record))


def secrets_of(settings: Settings) -> list[str]:
    values = [
        settings.telegram_bot_token.get_secret_value(),
        settings.openrouter_api_key.get_secret_value(),
    ]
    if settings.webhook_secret is not None:
        values.append(settings.webhook_secret.get_secret_value())
    values += [os.environ.get(name, "") for name in ("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")]
    return values


def configure_logging(settings: Settings, *, stream: object = None) -> None:
    redactor = Redactor(secrets_of(settings))
    if settings.log_format == "json":
        inner: logging.Formatter = JsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s",
            rename_fields={"levelname": "level", "asctime": "time", "name": "logger"},
        )
    else:
        inner = logging.Formatter(_TEXT_FORMAT)
    handler = logging.StreamHandler(stream or sys.stderr)  # type: ignore[arg-type]
    handler.setFormatter(RedactingFormatter(inner, redactor))
    if settings.log_format == "text":
        handler.addFilter(_ContextFilter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(settings.log_level)
    # httpx logs every request URL at INFO, and Bot API URLs contain the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    for noisy in ("aiobotocore", "botocore", "aiosqlite", "asyncio", "PIL"):
        logging.getLogger(noisy).setLevel(max(logging.INFO, root.level))
