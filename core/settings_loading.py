"""Loading the settings: every validation problem reported in one message, a line each naming
its variable (and where to get a missing secret), raised as `ConfigError`."""

from __future__ import annotations

from pydantic import ValidationError

from core.errors import ConfigError
from core.settings import WHERE_TO_GET, Settings


def load_settings(**overrides: object) -> Settings:
    """Build Settings or raise ConfigError: one line per problem, each naming its variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise ConfigError(describe(exc)) from None


def describe(exc: ValidationError) -> str:
    """Every problem, one line each (a variable's first problem only)."""
    lines: dict[str, str] = {}
    for error in exc.errors():
        field = str(error["loc"][0]) if error["loc"] else ""
        if field not in lines:
            lines[field] = _line(field, error["type"], str(error["msg"]))
    order = list(Settings.model_fields)
    ordered = [lines[f] for f in sorted(lines, key=lambda f: order.index(f) if f in order else -1)]
    if len(ordered) == 1:
        return ordered[0]
    return f"{len(ordered)} settings problems:\n" + "\n".join(f"  {line}" for line in ordered)


def _line(field: str, kind: str, message: str) -> str:
    name = field.upper()
    if kind in {"missing", "empty"}:
        state = "is not set" if kind == "missing" else "is empty"
        hint = WHERE_TO_GET.get(field, "set it in the environment or in .env")
        return f"{name} {state}: {hint}."
    message = message.removeprefix("Value error, ")
    if kind == "needed":
        return f"{name} {message}."
    return f"{name} is invalid: {message}." if name else f"Invalid settings: {message}."
