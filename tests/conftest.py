"""Shared fixtures; each family lives in its own module and is registered here."""

from __future__ import annotations

import os

# Tests must never reach real services: pin every external base URL to a closed local port
# unless a test points it at its own fake.
os.environ.setdefault("TELEGRAM_API_BASE_URL", "http://127.0.0.1:9/bot")
os.environ.setdefault("TELEGRAM_FILE_BASE_URL", "http://127.0.0.1:9/file/bot")
os.environ.setdefault("OPENROUTER_BASE_URL", "http://127.0.0.1:9/api/v1")

pytest_plugins = ["tests.db_fixtures"]
