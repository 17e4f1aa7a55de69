"""A typed context: handlers reach the feature services through properties, and the account
and language resolved once for this update (see `bot.handlers.arrival`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from telegram.ext import Application, CallbackContext, ExtBot
from tornado.httpserver import HTTPServer

from bot.metrics import Metrics
from bot.stars import StarsSync
from bot.texts import DEFAULT_LANGUAGE
from core.bootstrap import Services
from core.features import Features
from core.services.accounts import Account, AccountService
from core.services.admin import AdminService
from core.services.albums import AlbumService
from core.services.broadcasts import BroadcastService
from core.services.edits import EditService
from core.services.gallery import GalleryService
from core.services.group_chats import GroupChatService
from core.services.payments import PaymentService
from core.services.referrals import ReferralService
from core.services.sharing import ShareService
from core.services.stickers import StickerService
from core.services.submissions import SubmissionService
from core.star_payments import StarPayments

if TYPE_CHECKING:
    from bot.background import Loop


class BotData:
    """Application-wide state: the object graph, opened in post_init (for the lifecycle)."""

    def __init__(self) -> None:
        self.services: Services | None = None
        self.metrics: Metrics = Metrics()
        self.health: HTTPServer | None = None
        self.loops: list[Loop] = []  # album questions, queue places (bot/background.py)
        self.stars: StarsSync | None = None


class BotContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], BotData]):
    def __init__(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        chat_id: int | None = None,
        user_id: int | None = None,
    ) -> None:
        super().__init__(application, chat_id, user_id)
        self.account: Account | None = None  # None: the sender has no account (yet)
        self.lang: str = DEFAULT_LANGUAGE

    @property
    def _features(self) -> Features:
        services = self.bot_data.services
        if services is None:
            raise RuntimeError("services are opened in post_init; no update arrives before")
        return services.features

    @property
    def accounts(self) -> AccountService:
        return self._features.accounts

    @property
    def submissions(self) -> SubmissionService:
        return self._features.submissions

    @property
    def gallery(self) -> GalleryService:
        return self._features.gallery

    @property
    def stars(self) -> StarPayments:
        """Receiving, crediting and refunding Stars payments (core/star_payments.py)."""
        services = self.bot_data.services
        if services is None:
            raise RuntimeError("services are opened in post_init; no update arrives before")
        return services.stars

    @property
    def payments(self) -> PaymentService:
        return self._features.payments

    @property
    def admin(self) -> AdminService:
        return self._features.admin

    @property
    def referrals(self) -> ReferralService:
        return self._features.referrals

    @property
    def edits(self) -> EditService:
        return self._features.edits

    @property
    def albums(self) -> AlbumService:
        return self._features.albums

    @property
    def group_chats(self) -> GroupChatService:
        return self._features.group_chats

    @property
    def metrics(self) -> Metrics:
        return self.bot_data.metrics

    @property
    def sharing(self) -> ShareService:
        return self._features.sharing

    @property
    def stickers(self) -> StickerService:
        return self._features.stickers

    @property
    def broadcasts(self) -> BroadcastService:
        return self._features.broadcasts


BotApplication = Application[ExtBot[None], BotContext, dict[Any, Any], dict[Any, Any], BotData, Any]
