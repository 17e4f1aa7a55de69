"""The error root, configuration errors and the not-found lookup shared by every feature."""

from __future__ import annotations

from collections.abc import Mapping


class AIVengerError(Exception):
    """Root of every error the domain raises on purpose."""

    code = "internal"

    @property
    def params(self) -> Mapping[str, object]:
        """What the user-facing text of this error shows (e.g. balance and cost)."""
        return {}


class ConfigError(AIVengerError):
    """A setting is missing or invalid; the message is one line naming the variable."""

    code = "config"


class NotFound(AIVengerError):
    """The thing does not exist or does not belong to the asking user (indistinguishable)."""

    code = "not_found"
