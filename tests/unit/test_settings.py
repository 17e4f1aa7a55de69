"""Settings: exactly the documented variables, secrets hidden, one clear line per problem."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from core.errors import ConfigError
from core.settings import Settings, load_settings

ROOT = Path(__file__).resolve().parents[2]


def test_env_example_documents_every_setting_and_nothing_else() -> None:
    documented = set(
        re.findall(r"^#?\s?([A-Z][A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), re.M)
    )
    aws = {name for name in documented if name.startswith("AWS_")}

    assert documented - aws == {name.upper() for name in Settings.model_fields}


def test_a_missing_token_names_the_variable_and_where_to_get_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    monkeypatch.chdir(ROOT / "tests")  # no .env here
    with pytest.raises(ConfigError, match=r"^TELEGRAM_BOT_TOKEN is not set: talk to @BotFather"):
        load_settings(openrouter_api_key="x")


def test_an_invalid_value_names_the_variable() -> None:
    with pytest.raises(ConfigError, match=r"^WORKERS is invalid"):
        load_settings(telegram_bot_token="1:x", openrouter_api_key="x", workers="many")


def test_webhook_mode_needs_a_secret() -> None:
    with pytest.raises(ConfigError, match="WEBHOOK_SECRET must be set"):
        load_settings(telegram_bot_token="1:x", openrouter_api_key="x", webhook_url="https://x/y")


def test_a_webhook_secret_telegram_would_refuse_is_named() -> None:
    with pytest.raises(ConfigError, match=r"^WEBHOOK_SECRET is invalid: use 1 to 256 characters"):
        load_settings(
            telegram_bot_token="1:x", openrouter_api_key="x", webhook_secret="has spaces!"
        )


def test_secrets_do_not_show_in_repr() -> None:
    settings = load_settings(
        telegram_bot_token="123:SECRET-TOKEN", openrouter_api_key="sk-or-secret"
    )

    assert "SECRET-TOKEN" not in repr(settings)
    assert "sk-or-secret" not in repr(settings)


def test_lists_parse_from_comma_separated_values() -> None:
    settings = load_settings(
        telegram_bot_token="1:x",
        openrouter_api_key="x",
        admin_user_ids="7, 8",
        credit_packs="10:5,20:9",
    )

    assert settings.admin_user_ids == [7, 8]
    assert [(p.credits, p.stars) for p in settings.credit_packs] == [(10, 5), (20, 9)]
