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
