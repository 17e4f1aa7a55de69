"""Settings from the environment (and `.env`), exactly as product.md §8 lists them.

A few operational knobs beyond §8 (lease, attempts, timeouts, grace period, packs, referral
bonus) have safe defaults; `.env.example` documents every variable.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from core.errors import ConfigError

_WEBHOOK_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")
_WHERE_TO_GET = {
    "TELEGRAM_BOT_TOKEN": "talk to @BotFather in Telegram, send /newbot, and copy the token",
    "OPENROUTER_API_KEY": "create one at https://openrouter.ai/keys",
}


class CreditPack(tuple[str, int, int]):
    """(pack id, credits, price in Stars); parsed from `credits:stars` items."""

    @property
    def pack_id(self) -> str:
        return self[0]

    @property
    def credits(self) -> int:
        return self[1]

    @property
    def stars(self) -> int:
        return self[2]


def _split_csv(value: object) -> object:
    return _items(value) if isinstance(value, str) else value


def _items(text: str) -> list[str]:
    return [item.strip() for item in text.split(",") if item.strip()]


class DatabaseSettings(BaseSettings):
    """The part Alembic needs: migrations run without the bot's secrets."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", case_sensitive=False)

    database_url: str = "sqlite+aiosqlite:///data/aivenger.db"


class Settings(DatabaseSettings):
    """Everything the bot reads from its environment."""

    telegram_bot_token: SecretStr
    openrouter_api_key: SecretStr
    storage_url: str = "file:data/blobs"
    s3_endpoint_url: str | None = None
    telegram_api_base_url: str = "https://api.telegram.org/bot"
    telegram_file_base_url: str = "https://api.telegram.org/file/bot"
    openrouter_base_url: str = "https://openrouter.ai/api/v1"
    openrouter_model: str = "google/gemini-2.5-flash-image"
    # Sent after OPENROUTER_MODEL as OpenRouter's `models` chain, so a shut-down or failing
    # primary does not stop avatars. Default: Gemini 3.1 Flash Image ("Nano Banana 2"), GA
    # since 2026-05-28 with no shutdown date announced, Google's named replacement for its
    # preview; OpenRouter lists Google's GA models as `google/<id>`. Empty: no fallback.
    openrouter_fallback_models: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["google/gemini-3.1-flash-image"]
    )
    free_credits: int = Field(default=30, ge=0)
    generation_cost: int = Field(default=10, ge=1)
    refund_on_failure: bool = True
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_listen: str | None = None
    webhook_port: int | None = Field(default=None, ge=1, le=65535)
    admin_user_ids: Annotated[list[int], NoDecode] = Field(default_factory=list)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["text", "json"] = "text"
    workers: int = Field(default=8, ge=0, le=1000)
    max_active_per_user: int = Field(default=3, ge=1)
    health_port: int | None = Field(default=None, ge=1, le=65535)

    # Operational knobs beyond §8.
    openrouter_timeout: float = Field(default=180.0, gt=0)
    job_lease_seconds: float = Field(default=90.0, gt=0)
    job_max_attempts: int = Field(default=3, ge=1)
    sweep_interval_seconds: float = Field(default=15.0, gt=0)
    shutdown_grace_seconds: float = Field(default=30.0, ge=0)
    rate_limit_per_minute: int = Field(default=20, ge=1)
    credit_packs: Annotated[list[CreditPack], NoDecode] = Field(
        default_factory=lambda: _parse_packs("50:50,120:100,300:200")
    )
    referral_bonus: int = Field(default=10, ge=0)

    @field_validator("log_level", "log_format", mode="before")
    @classmethod
    def _normalise_case(cls, value: object) -> object:
        if isinstance(value, str):
            return value.upper() if value.lower() not in {"text", "json"} else value.lower()
        return value

    @field_validator("admin_user_ids", "openrouter_fallback_models", mode="before")
    @classmethod
    def _parse_lists(cls, value: object) -> object:
        return _split_csv(value)

    @field_validator("credit_packs", mode="before")
    @classmethod
    def _parse_credit_packs(cls, value: object) -> object:
        return _parse_packs(value) if isinstance(value, str) else value

    @field_validator(
        "webhook_url", "webhook_listen", "s3_endpoint_url", "webhook_secret", mode="before"
    )
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("health_port", "webhook_port", mode="before")
    @classmethod
    def _empty_port_is_unset(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("webhook_secret")
    @classmethod
    def _telegram_accepts_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not _WEBHOOK_SECRET.fullmatch(value.get_secret_value()):
            raise ValueError(
                "use 1 to 256 characters from A-Z, a-z, 0-9, _ and - (Telegram's rule)"
            )
        return value

    @model_validator(mode="after")
    def _webhook_needs_secret(self) -> Settings:
        if self.webhook_url and not (
            self.webhook_secret and self.webhook_secret.get_secret_value()
        ):
            raise ValueError("WEBHOOK_SECRET must be set when WEBHOOK_URL is set")
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def _parse_packs(value: object) -> list[CreditPack]:
    if not isinstance(value, str):
        raise ValueError("expected items like 50:50,120:100 (credits:stars)")
    packs: list[CreditPack] = []
    for item in _items(value):
        credits_text, _, stars_text = str(item).partition(":")
        if not (credits_text.isdigit() and stars_text.isdigit()):
            raise ValueError(f"{item!r} is not credits:stars")
        credits, stars = int(credits_text), int(stars_text)
        if credits <= 0 or stars <= 0:
            raise ValueError(f"{item!r} must be positive")
        packs.append(CreditPack((f"p{credits}", credits, stars)))
    if not packs:
        raise ValueError("at least one pack is needed")
    return packs


def load_settings(**overrides: object) -> Settings:
    """Build Settings or raise ConfigError with one line that names the variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise ConfigError(_describe(exc)) from None


def _describe(exc: ValidationError) -> str:
    error = exc.errors()[0]
    name = str(error["loc"][0]).upper() if error["loc"] else ""
    if error["type"] == "missing":
        hint = _WHERE_TO_GET.get(name, "set it in the environment or in .env")
        return f"{name} is not set: {hint}."
    message = str(error["msg"]).removeprefix("Value error, ")
    return f"{name} is invalid: {message}." if name else f"Invalid settings: {message}."
