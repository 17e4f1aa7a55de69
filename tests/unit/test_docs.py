"""README.md and docs/ stand alone: every relative link resolves inside the repository."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from core.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\]\(([^)\s]+)\)")
PATH_IN_TICKS = re.compile(r"`((?:\.\./|/work/|/home/)[^`]*)`")


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_links_stay_inside_the_repository(page: Path) -> None:
    text = page.read_text()
    for target in LINK.findall(text):
        if re.match(r"[a-z]+:", target) or target.startswith("#"):
            continue  # a web address or an anchor on the same page
        resolved = (page.parent / target.split("#")[0]).resolve()
        assert resolved.is_relative_to(ROOT), f"{page.name} links outside: {target}"
        assert resolved.exists(), f"{page.name} links to a missing file: {target}"
    assert PATH_IN_TICKS.findall(text) == [], f"{page.name} names a path outside the repository"


def test_the_settings_page_lists_every_setting_and_nothing_else() -> None:
    text = (ROOT / "docs" / "settings.md").read_text()
    rows = [line for line in text.splitlines() if line.startswith("| `")]
    documented = {
        name for row in rows for name in re.findall(r"`([A-Z][A-Z0-9_]+)`", row.split("|")[1])
    }

    assert documented == {name.upper() for name in Settings.model_fields}


def test_the_readme_points_to_the_docs() -> None:
    readme = (ROOT / "README.md").read_text()

    assert "docs/product.md" in readme and "docs/settings.md" in readme
