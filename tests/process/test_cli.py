"""`python -m bot` from a shell: production refuses to start without a token, and the
playground subcommand is the only way to run without one."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from bot.__main__ import parse_args

ROOT = Path(__file__).resolve().parents[2]


def run_bot(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v for k, v in os.environ.items() if k not in ("TELEGRAM_BOT_TOKEN", "OPENROUTER_API_KEY")
    }
    clean.update(PYTHONPATH=str(ROOT), **env)
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,  # no .env here
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("args", [[], ["run"], ["worker"]])
def test_without_a_token_the_bot_refuses_to_start_and_never_becomes_a_playground(
    args: list[str], tmp_path: Path
) -> None:
    result = run_bot(args, tmp_path, OPENROUTER_API_KEY="sk-or-test-key")

    assert result.returncode == 2
    assert "TELEGRAM_BOT_TOKEN is not set" in result.stderr
    assert "Playground" not in result.stdout + result.stderr
    assert not (tmp_path / "data").exists()  # nothing was created either


def test_the_playground_subcommand_takes_a_port_and_no_browser() -> None:
    args = parse_args(["playground", "--port", "9001", "--no-browser"])
    assert (args.command, args.port, args.no_browser, args.keep) == (
        "playground",
        9001,
        True,
        False,
    )
    defaults = parse_args(["playground"])
    assert (defaults.port, defaults.no_browser) == (8800, False)


@pytest.mark.parametrize("keep", [False, True])
def test_the_playground_starts_without_any_configuration_and_ctrl_c_stops_it_cleanly(
    tmp_path: Path, keep: bool
) -> None:
    scratch_parent = tmp_path / "tmp"
    scratch_parent.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "OPENROUTER_"))}
    env.update(PYTHONPATH=str(ROOT), TMPDIR=str(scratch_parent), PYTHONUNBUFFERED="1")
    args = ["playground", "--port", "0", "--no-browser", *(["--keep"] if keep else [])]
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", *args],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert process.stdout is not None
        lines = []
        for line in process.stdout:
            lines.append(line)
            if line.startswith("Playground: "):
                break
        url = lines[-1].removeprefix("Playground: ").strip()
        assert url.startswith("http://127.0.0.1:"), "".join(lines)
        with urllib.request.urlopen(f"{url}/play/api/state", timeout=10) as response:
            state = json.load(response)
        assert state["model"] == "offline preview"
        assert [user["first_name"] for user in state["users"]] == ["Ada", "Boris"]
        assert len(list(scratch_parent.iterdir())) == 1  # the scratch directory, in TMPDIR

        process.send_signal(signal.SIGINT)
        rest, _ = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0
    assert "Traceback" not in "".join(lines) + rest
    kept = list(scratch_parent.iterdir())
    if keep:
        assert (kept[0] / "playground.db").exists()
        assert str(kept[0]) in rest
    else:
        assert kept == []


def test_a_busy_port_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_bot(["playground", "--port", str(port), "--no-browser"], tmp_path)

    assert result.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "try --port" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
