"""The command menu, registered per language with set_my_commands.

Everyone sees the user commands in their client's language; each admin's private chat gets
the admin commands as well (BotCommandScopeChat), so nobody else learns they exist.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from telegram import BotCommand, BotCommandScopeChat
from telegram.error import TelegramError

from bot.context import BotApplication
from bot.texts import CATALOGS, DEFAULT_LANGUAGE, t

log = logging.getLogger(__name__)

MENU_COMMANDS = (
    "start",
    "gallery",
    "credits",
    "buy",
    "style",
    "invite",
    "language",
    "delete",
    "help",
    "paysupport",
    "terms",
)
ADMIN_COMMANDS = ("grant", "refund", "stats", "user", "broadcast", "broadcast_cancel")


def menu(names: Iterable[str], language: str) -> list[BotCommand]:
    return [BotCommand(name, t(f"commands.{name}", language)) for name in names]


async def register_commands(application: BotApplication) -> None:
    services = application.bot_data.services
    admins = services.features.admin.admin_ids if services is not None else ()
    for language in CATALOGS:
        code = None if language == DEFAULT_LANGUAGE else language
        await application.bot.set_my_commands(menu(MENU_COMMANDS, language), language_code=code)
        for admin_id in admins:
            try:
                await application.bot.set_my_commands(
                    menu(MENU_COMMANDS + ADMIN_COMMANDS, language),
                    scope=BotCommandScopeChat(admin_id),
                    language_code=code,
                )
            except TelegramError:  # e.g. the admin never opened a chat with the bot
                log.warning("could not set the admin menu for %s", admin_id, exc_info=True)
