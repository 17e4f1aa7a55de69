"""Russian catalog."""

from __future__ import annotations

RU: dict[str, str] = {}
