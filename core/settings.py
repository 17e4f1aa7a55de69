"""Settings from the environment (and `.env`), exactly as product.md §8 lists them.

Loading them and reporting every problem is `core.settings_loading`; the values written as
text (lists, credit packs) are parsed by `core.settings_values`.

A few operational knobs beyond §8 (lease, attempts, timeouts, grace period, packs, referral
bonus) have safe defaults; `.env.example` documents every variable.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import (
    Field,
    SecretStr,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from core.db import POOL_DEFAULTS, PoolLimits
from core.settings_values import CreditPack, parse_items, parse_packs

_WEBHOOK_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")
WHERE_TO_GET = {
    "telegram_bot_token": "talk to @BotFather in Telegram, send /newbot, and copy the token",
    "openrouter_api_key": "create one at https://openrouter.ai/keys",
}
# Optional variables whose empty value (`NAME=` in a copied .env.example) means unset.
_OPTIONAL = (
    "s3_endpoint_url",
    "webhook_url",
    "webhook_secret",
    "webhook_listen",
    "webhook_port",
    "health_port",
    "metrics_token",
    "instance_id",
    "edit_cost",
)


class DatabaseSettings(BaseSettings):
    """The part Alembic needs: migrations run without the bot's secrets."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", case_sensitive=False)

    database_url: str = "sqlite+aiosqlite:///data/aivenger.db"
    # PostgreSQL connections one process may hold: size + overflow (SQLite always uses one).
    db_pool_size: int = Field(default=POOL_DEFAULTS.size, ge=1)
    db_max_overflow: int = Field(default=POOL_DEFAULTS.max_overflow, ge=0)
    db_pool_timeout: float = Field(default=POOL_DEFAULTS.timeout, gt=0)

    @property
    def db_pool(self) -> PoolLimits:
        return PoolLimits(
            size=self.db_pool_size, max_overflow=self.db_max_overflow, timeout=self.db_pool_timeout
        )


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
    edit_cost: int | None = Field(default=None, ge=1)  # a reply-to-edit; unset: GENERATION_COST
    refund_on_failure: bool = True
    webhook_url: str | None = None
    # Validated even when unset: it is required once WEBHOOK_URL is set.
    webhook_secret: SecretStr | None = Field(default=None, validate_default=True)
    webhook_listen: str | None = None
    webhook_port: int | None = Field(default=None, ge=1, le=65535)
    admin_user_ids: Annotated[list[int], NoDecode] = Field(default_factory=list)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["text", "json"] = "text"
    # Sized for bursts (§8, §10): a generation mostly waits on the model, so overlapping its
    # latency at Telegram's 30 sends/s takes 30 × L in flight (90 at 3 s, 240 at 8 s); what
    # bounds them is memory, so each model call also takes its share of GENERATION_MEMORY_MB.
    workers: int = Field(default=256, ge=0, le=1000)
    generation_memory_mb: int = Field(default=640, ge=16)
    max_active_per_user: int = Field(default=3, ge=1)
    health_port: int | None = Field(default=None, ge=1, le=65535)
    health_listen: str = "127.0.0.1"
    metrics_token: SecretStr | None = None

    # Operational knobs beyond §8.
    openrouter_timeout: float = Field(default=180.0, gt=0)
    # Short leases renewed by a heartbeat (a third of the lease): a dead worker's jobs move on
    # within a lease plus a sweep; a restarted instance reclaims its own at once (core.instance).
    job_lease_seconds: float = Field(default=15.0, gt=0)
    job_max_attempts: int = Field(default=3, ge=1)
    sweep_interval_seconds: float = Field(default=5.0, gt=0)
    instance_id: str | None = Field(default=None, max_length=128)
    shutdown_grace_seconds: float = Field(default=30.0, ge=0)
    rate_limit_per_minute: int = Field(default=20, ge=1)
    credit_packs: Annotated[list[CreditPack], NoDecode] = Field(
        default_factory=lambda: parse_packs("50:50,120:100,300:200")
    )
    referral_bonus: int = Field(default=10, ge=0)
    # The durable inbox of Telegram updates (core/inbox.py).
    inbox_lease_seconds: float = Field(default=15.0, gt=0)
    inbox_max_attempts: int = Field(default=5, ge=1)
    inbox_retention_days: float = Field(default=7.0, gt=0)
    # An album's photos arrive one update each: ask once none came for this long.
    album_quiet_seconds: float = Field(default=1.5, gt=0, le=60)
    album_keep_hours: float = Field(default=24.0, gt=0)  # unanswered albums are then removed
    queue_position_seconds: float = Field(default=3.0, ge=1)  # "In line: 4th" refresh period
    # Sharing (product.md §12): a sticker's price, and a broadcast's pace (well under
    # Telegram's ~30 sends/s, so avatars keep most of the budget) and lease.
    sticker_cost: int = Field(default=0, ge=0)
    broadcast_per_second: float = Field(default=10.0, gt=0, le=30)
    broadcast_lease_seconds: float = Field(default=30.0, gt=0)
    # Reconciling payments with Telegram's Stars history (core/star_reconciliation.py).
    stars_reconcile_interval_seconds: float = Field(default=300.0, gt=0)

    @field_validator("log_level", "log_format", mode="before")
    @classmethod
    def _normalise_case(cls, value: object) -> object:
        if isinstance(value, str):
            return value.upper() if value.lower() not in {"text", "json"} else value.lower()
        return value

    @field_validator("admin_user_ids", "openrouter_fallback_models", mode="before")
    @classmethod
    def _parse_lists(cls, value: object) -> object:
        return parse_items(value) if isinstance(value, str) else value

    @field_validator("credit_packs", mode="before")
    @classmethod
    def _parse_credit_packs(cls, value: object) -> object:
        return parse_packs(value) if isinstance(value, str) else value

    @field_validator(*_OPTIONAL, mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        """`NAME=` as copied from .env.example means "not set" for an optional variable."""
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator(*WHERE_TO_GET)
    @classmethod
    def _secret_is_filled_in(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value().strip():
            raise PydanticCustomError("empty", "is empty")
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _telegram_accepts_secret(
        cls, value: SecretStr | None, info: ValidationInfo
    ) -> SecretStr | None:
        if value is None:
            if info.data.get("webhook_url"):
                raise PydanticCustomError("needed", "must be set when WEBHOOK_URL is set")
            return value
        if not _WEBHOOK_SECRET.fullmatch(value.get_secret_value()):
            raise ValueError(
                "use 1 to 256 characters from A-Z, a-z, 0-9, _ and - (Telegram's rule)"
            )
        return value

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")
