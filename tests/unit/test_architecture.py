"""The layers hold: core/ knows nothing of Telegram, handlers reach only the feature services,
and docs/architecture.md names files and functions that exist."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HANDLERS = sorted((ROOT / "bot" / "handlers").glob("*.py"))
# What a handler may not reach: the database, sessions, settings, the model or blob adapters.
FORBIDDEN_IN_HANDLERS = (
    "sqlalchemy",
    "core.db",
    "core.models",
    "core.settings",
    "core.bootstrap",
    "core.blobs",
    "core.openrouter",
    "core.ledger",
    "core.generations",
    "core.gallery",
    "core.album_tables",
    "core.telegram_tables",
    "core.sharing_tables",
    "core.claims",
    "core.inbox",
)


def imports_of(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", sorted((ROOT / "core").rglob("*.py")), ids=lambda p: p.name)
def test_core_never_imports_telegram_or_the_bot(path: Path) -> None:
    assert not {name for name in imports_of(path) if name.split(".")[0] in ("telegram", "bot")}


@pytest.mark.parametrize("path", HANDLERS, ids=lambda p: p.name)
def test_handlers_reach_the_core_only_through_feature_services(path: Path) -> None:
    reached = {name for name in imports_of(path) if name.startswith(FORBIDDEN_IN_HANDLERS)}
    source = path.read_text()

    assert reached == set()
    assert "context.services" not in source and "bot_data" not in source


def test_the_architecture_page_names_real_files_and_functions() -> None:
    text = (ROOT / "docs" / "architecture.md").read_text()
    files = set(re.findall(r"`((?:core|bot|tests)/[\w/]+\.py)`", text))
    assert len(files) > 20
    for name in files:
        assert (ROOT / name).exists(), name
    for name, function in re.findall(r"`((?:core|bot)/[\w/]+\.py)` `(\w+)`", text):
        source = (ROOT / name).read_text()
        assert re.search(rf"(def|class) {function}\b", source), f"{name} has no {function}"
    for cls, method in re.findall(r"`([A-Z]\w+)\.(\w+)`", text):
        defined = [p for p in ROOT.glob("[cb]o[rt]*/**/*.py") if f"class {cls}" in p.read_text()]
        assert defined, f"no class {cls}"
        assert any(f"def {method}(" in p.read_text() for p in defined), f"{cls}.{method}"
