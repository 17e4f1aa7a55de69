"""Settings: exactly the documented variables, secrets hidden, one clear line per problem."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from core.errors import ConfigError
from core.settings import Settings
from core.settings_loading import load_settings

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


def test_every_problem_is_reported_in_one_message_one_line_each(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    monkeypatch.chdir(ROOT / "tests")  # no .env here
    with pytest.raises(ConfigError) as raised:
        load_settings(
            openrouter_api_key="x",
            workers="many",
            health_port="eighty",
            webhook_url="https://x/y",
        )

    assert str(raised.value).splitlines() == [
        "4 settings problems:",
        "  TELEGRAM_BOT_TOKEN is not set: talk to @BotFather in Telegram, send /newbot, and "
        "copy the token.",
        "  WEBHOOK_SECRET must be set when WEBHOOK_URL is set.",
        "  WORKERS is invalid: Input should be a valid integer, unable to parse string as an "
        "integer.",
        "  HEALTH_PORT is invalid: Input should be a valid integer, unable to parse string as an "
        "integer.",
    ]


@pytest.mark.parametrize(
    ("variable", "where"),
    [
        ("TELEGRAM_BOT_TOKEN", "talk to @BotFather"),
        ("OPENROUTER_API_KEY", "create one at https://openrouter.ai/keys"),
    ],
)
def test_an_empty_secret_is_refused_naming_the_variable_and_where_to_get_it(
    variable: str, where: str
) -> None:
    values = {"telegram_bot_token": "1:x", "openrouter_api_key": "x", variable.lower(): "  "}
    with pytest.raises(ConfigError, match=rf"^{variable} is empty: {re.escape(where)}"):
        load_settings(**values)


def test_a_copied_env_example_reports_both_empty_keys_and_nothing_else(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".env").write_text((ROOT / ".env.example").read_text())
    for name in Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError) as raised:
        load_settings()

    lines = str(raised.value).splitlines()
    assert lines[0] == "2 settings problems:"
    assert lines[1].startswith("  TELEGRAM_BOT_TOKEN is empty: talk to @BotFather")
    assert lines[2].startswith("  OPENROUTER_API_KEY is empty: create one at")
    assert len(lines) == 3


def test_empty_optional_values_mean_unset() -> None:
    settings = load_settings(
        telegram_bot_token="1:x",
        openrouter_api_key="x",
        webhook_secret="",
        webhook_port="",
        health_port=" ",
        metrics_token="",
        s3_endpoint_url="",
    )

    assert settings.webhook_secret is None
    assert settings.webhook_port is None
    assert settings.health_port is None
    assert settings.metrics_token is None
    assert settings.s3_endpoint_url is None


def test_the_pool_defaults_keep_a_process_at_ten_connections() -> None:
    settings = load_settings(telegram_bot_token="1:x", openrouter_api_key="x")

    assert settings.db_pool.connections == 10
    assert settings.health_listen == "127.0.0.1"
