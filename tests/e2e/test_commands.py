"""/credits, /style, /help, the command menu and messages that are not photos."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.e2e.harness import BotWorld, buttons, text_of

ROOT = Path(__file__).resolve().parents[2]


async def test_credits_show_balance_and_history(world: BotWorld) -> None:
    user = await world.started_user(1)
    await world.avatar_after_photo(user)
    await user.send_text("/credits")
    summary = await user.wait_for(lambda m: "Balance" in text_of(m))

    text = text_of(summary)
    assert "Balance: 20 credits" in text
    assert "avatars made: 1" in text
    assert "−10 avatar" in text and "+30 welcome credits" in text
    assert "💳 Buy credits" in buttons(summary)


async def test_style_choice_is_remembered_and_changes_the_prompt(world: BotWorld) -> None:
    user = await world.started_user(1)
    await user.send_text("/style")
    menu = await user.wait_for(lambda m: "Choose a style" in text_of(m))
    assert "✓ Superhero" in buttons(menu)

    await user.press(menu, buttons(menu)["Anime hero"])
    await user.wait_for(lambda m: "Style set to Anime hero" in text_of(m))
    avatar = await world.avatar_after_photo(user)

    assert "cel-shaded" in world.model.prompts[0]
    assert "Anime hero" in text_of(avatar)


async def test_help_and_the_command_menu(world: BotWorld) -> None:
    user = world.user(1)
    await user.send_text("/help")
    help_text = await user.wait_for(lambda m: "How it works" in text_of(m))

    assert "/gallery" in text_of(help_text)
    menu = [c["command"] for c in world.emu.my_commands()]
    assert menu[:3] == ["start", "gallery", "credits"]


async def test_non_photos_get_one_clear_line(world: BotWorld) -> None:
    user = await world.started_user(1)
    await user.send_sticker()
    await user.send_text("hello")
    await user.send_voice()
    await user.send_text("/nonsense")
    await user.wait_for(lambda m: "don't know that command" in text_of(m))

    hints = [m for m in user.messages if "I only work with photos" in text_of(m)]
    assert len(hints) == 3
    assert world.model.requests == []


def test_starting_without_a_token_prints_one_line_and_exits_non_zero(tmp_path: Path) -> None:
    env = {
        "PATH": "/usr/bin:/bin",
        "OPENROUTER_API_KEY": "x",
        "HOME": str(tmp_path),
        "PYTHONPATH": str(ROOT),
    }
    done = subprocess.run(
        [sys.executable, "-m", "bot"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=str(tmp_path),
        check=False,
    )

    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "aivenger: TELEGRAM_BOT_TOKEN is not set: talk to @BotFather in Telegram, send /newbot, "
        "and copy the token."
    ]
    assert "Traceback" not in done.stderr + done.stdout


def test_a_copied_env_example_names_both_empty_keys_before_telegram_is_called(
    tmp_path: Path,
) -> None:
    (tmp_path / ".env").write_text((ROOT / ".env.example").read_text())
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "bot"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=str(tmp_path),
        check=False,
    )

    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "aivenger: 2 settings problems:",
        "  TELEGRAM_BOT_TOKEN is empty: talk to @BotFather in Telegram, send /newbot, and copy "
        "the token.",
        "  OPENROUTER_API_KEY is empty: create one at https://openrouter.ai/keys.",
    ]
    assert "Traceback" not in done.stderr + done.stdout
