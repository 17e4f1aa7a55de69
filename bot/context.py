"""A typed context: handlers reach the core through properties, not string keys."""

from __future__ import annotations

from typing import Any

from telegram.ext import Application, CallbackContext, ExtBot
from tornado.httpserver import HTTPServer

from bot.metrics import Metrics
from core.avatars import AvatarService
from core.bootstrap import Services


class BotData:
    """Application-wide state: the core services, opened in post_init."""

    def __init__(self) -> None:
        self.services: Services | None = None
        self.metrics: Metrics = Metrics()
        self.health: HTTPServer | None = None


class BotContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], BotData]):
    @property
    def services(self) -> Services:
        services = self.bot_data.services
        if services is None:
            raise RuntimeError("services are opened in post_init; no update arrives before")
        return services

    @property
    def avatars(self) -> AvatarService:
        return self.services.avatars


BotApplication = Application[ExtBot[None], BotContext, dict[Any, Any], dict[Any, Any], BotData, Any]
