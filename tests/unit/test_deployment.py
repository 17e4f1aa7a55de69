"""compose.yaml and the Dockerfile stay true to the code: real settings, real commands."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.__main__ import parse_args
from core.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
OUR_SERVICES = ("bot", "worker")
# Read by aioboto3/botocore, not by Settings.
AWS_VARIABLES = {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION"}


def compose() -> dict[str, Any]:
    return dict(yaml.safe_load((ROOT / "compose.yaml").read_text()))


@pytest.mark.parametrize("service", OUR_SERVICES)
def test_every_variable_compose_passes_is_a_setting(service: str) -> None:
    environment = compose()["services"][service]["environment"]
    settings = {name.upper() for name in Settings.model_fields}

    assert set(environment) - AWS_VARIABLES <= settings


@pytest.mark.parametrize("service", OUR_SERVICES)
def test_compose_commands_are_real_cli_commands(service: str) -> None:
    command = compose()["services"][service]["command"]
    assert command[:3] == ["python", "-m", "bot"]

    parse_args(command[3:])  # argparse exits on an unknown command


def test_the_worker_scales_to_two_replicas_and_the_stack_is_complete() -> None:
    services = compose()["services"]

    assert services["worker"]["deploy"]["replicas"] == 2
    assert {"bot", "worker", "postgres", "minio", "create-bucket"} <= set(services)


def test_the_image_runs_the_bot_as_a_non_root_user_with_a_healthcheck() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()

    assert re.search(r'^CMD \["python", "-m", "bot"\]$', dockerfile, re.M)
    assert re.search(r"^USER \d+", dockerfile, re.M)
    assert "/healthz" in dockerfile
    assert re.search(r"^VOLUME ", dockerfile, re.M)


def test_compose_publishes_health_and_metrics_on_the_host_loopback_only() -> None:
    for name, service in compose()["services"].items():
        for port in service.get("ports", []):
            assert str(port).startswith("127.0.0.1:"), f"{name} publishes {port} publicly"


def test_compose_stays_within_postgres_default_connection_limit() -> None:
    services = compose()["services"]
    defaults = Settings.model_fields
    budget = 0
    for name in OUR_SERVICES:
        environment = services[name]["environment"]
        size = int(environment.get("DB_POOL_SIZE", defaults["db_pool_size"].default))
        overflow = int(environment.get("DB_MAX_OVERFLOW", defaults["db_max_overflow"].default))
        budget += (size + overflow) * services[name].get("deploy", {}).get("replicas", 1)

    assert budget <= 100 - 10  # PostgreSQL's default max_connections, minus room for admin


def lint_commands() -> list[str]:
    """The commands of `make lint`, without the $(BIN)/ prefix."""
    makefile = (ROOT / "Makefile").read_text()
    recipe = re.search(r"^lint:.*\n((?:\t.*\n)+)", makefile, re.M)
    assert recipe is not None
    return [line.strip().removeprefix("$(BIN)/") for line in recipe.group(1).splitlines()]


def test_pre_commit_runs_what_make_lint_runs_with_the_projects_own_tools() -> None:
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())
    hooks = [hook for repo in config["repos"] for hook in repo["hooks"]]

    assert {repo["repo"] for repo in config["repos"]} == {"local"}
    assert {hook["language"] for hook in hooks} == {"system"}
    entries = [hook["entry"].removeprefix(".venv/bin/") for hook in hooks]
    for command in lint_commands():
        tool, *args = command.split()
        assert any(
            entry.split()[0] == tool
            and all(a in entry.split() for a in args if not (ROOT / a).exists())
            for entry in entries
        ), f"`make lint` runs `{command}` but no pre-commit hook does"
