"""A real headless Chromium (the OS package) driven by Selenium, and the playground started as
a person would start it: `python -m bot playground --no-browser`, stopped with Ctrl-C.

Without Chromium the browser tests skip locally; under CI=true they fail instead, because CI
(.ci/run) installs it.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
SCREENSHOTS = Path(__file__).with_name("screenshots")
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,900",
)


def _missing() -> str | None:
    for path in (CHROMIUM, CHROMEDRIVER):
        if not path.exists():
            return f"{path} is missing (apt-get install chromium chromium-driver)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[dev]')"
    return None


@pytest.fixture(scope="session")
def chromium_ready() -> None:
    problem = _missing()
    if problem is None:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"the browser test must run in CI: {problem}")
    pytest.skip(problem)


@dataclass
class RunningPlayground:
    url: str
    process: subprocess.Popen[str]
    scratch_parent: Path
    output: list[str]


@pytest.fixture
def running_playground(chromium_ready: None, tmp_path: Path) -> Iterator[RunningPlayground]:
    """The CLI on a free port, in an empty directory (no .env), offline model (no key)."""
    scratch_parent = tmp_path / "tmp"
    scratch_parent.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "OPENROUTER_"))}
    env.update(PYTHONPATH=str(ROOT), TMPDIR=str(scratch_parent), PYTHONUNBUFFERED="1")
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "playground", "--port", "0", "--no-browser"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output: list[str] = []
    found = threading.Event()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            output.append(line)
            if line.startswith("Playground: "):
                found.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    if not found.wait(90):
        process.kill()
        pytest.fail("the playground did not print its address:\n" + "".join(output))
    url = next(m.group(1) for line in output if (m := re.match(r"Playground: (\S+)", line)))
    running = RunningPlayground(url, process, scratch_parent, output)
    try:
        yield running
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        reader.join(10)  # it ends at the pipe's EOF
        assert process.stdout is not None
        process.stdout.close()


@pytest.fixture
def browser(chromium_ready: None, tmp_path: Path) -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path / 'chromium-profile'}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})  # for page_errors()
    driver = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(tmp_path / "chromium-profile", ignore_errors=True)


@pytest.fixture
def screenshots(request: pytest.FixtureRequest) -> Path:
    folder = SCREENSHOTS / request.node.name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


def page_errors(driver: Any) -> list[str]:
    """JavaScript errors and failed requests the page logged to its console."""
    return [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
