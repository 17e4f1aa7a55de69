"""The command menu, registered per language with set_my_commands."""

from __future__ import annotations

from telegram import BotCommand

from bot.context import BotApplication
from bot.texts import CATALOGS, t

MENU_COMMANDS = ("start", "gallery", "credits", "style", "delete", "help")


async def register_commands(application: BotApplication) -> None:
    for language in CATALOGS:
        commands = [BotCommand(name, t(f"commands.{name}", language)) for name in MENU_COMMANDS]
        code = None if language == "en" else language
        await application.bot.set_my_commands(commands, language_code=code)
