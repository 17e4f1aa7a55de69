"""The application surface: the feature services a handler may call, and how the composition
root (`core.bootstrap`) builds them once from the settings and the shared resources."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.blobs import BlobStore
from core.broadcast_runner import BroadcastRunner
from core.events import JobEvents
from core.payments import invoice_secret
from core.services.accounts import AccountService, Pricing
from core.services.admin import AdminService
from core.services.album_questions import AlbumQuestionService
from core.services.albums import AlbumService
from core.services.broadcasts import BroadcastService
from core.services.edits import EditService
from core.services.gallery import GalleryService
from core.services.group_chats import GroupChatService
from core.services.payments import PaymentService
from core.services.queue import QueueService
from core.services.referrals import ReferralService
from core.services.sharing import ShareService
from core.services.stickers import NoStickerStudio, StickerService, StickerStudio
from core.services.submissions import SubmissionService
from core.settings import Settings
from core.workers import WorkerPool


@dataclass(frozen=True, slots=True, kw_only=True)
class Features:
    """Everything a handler may call: the application surface."""

    accounts: AccountService
    submissions: SubmissionService
    gallery: GalleryService
    payments: PaymentService
    admin: AdminService
    referrals: ReferralService
    edits: EditService
    albums: AlbumService
    album_questions: AlbumQuestionService
    queue: QueueService
    group_chats: GroupChatService
    sharing: ShareService
    stickers: StickerService
    broadcasts: BroadcastService


def build_features(
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    blobs: BlobStore,
    events: JobEvents,
    pool: WorkerPool,
    studio: StickerStudio | None = None,
    broadcaster: BroadcastRunner | None = None,
) -> Features:
    pricing = Pricing(
        generation_cost=settings.generation_cost,
        free_credits=settings.free_credits,
        max_active_per_user=settings.max_active_per_user,
    )
    return Features(
        accounts=AccountService(sessions=sessions, pricing=pricing, events=events),
        submissions=SubmissionService(
            sessions=sessions, blobs=blobs, pricing=pricing, events=events, workers=pool
        ),
        gallery=GalleryService(sessions=sessions, blobs=blobs),
        payments=PaymentService(
            sessions=sessions,
            packs=settings.credit_packs,
            invoice_secret=invoice_secret(settings.telegram_bot_token.get_secret_value()),
            generation_cost=settings.generation_cost,
            events=events,
        ),
        admin=AdminService(sessions=sessions, admin_ids=settings.admin_user_ids, events=events),
        referrals=ReferralService(sessions=sessions, bonus=settings.referral_bonus),
        edits=EditService(
            sessions=sessions,
            blobs=blobs,
            cost=settings.edit_cost or settings.generation_cost,
            max_active=settings.max_active_per_user,
            events=events,
            workers=pool,
        ),
        albums=AlbumService(
            sessions=sessions,
            blobs=blobs,
            cost=settings.generation_cost,
            max_active=settings.max_active_per_user,
            events=events,
            on_queued=pool.notify,
        ),
        album_questions=AlbumQuestionService(sessions=sessions, blobs=blobs),
        queue=QueueService(sessions=sessions),
        group_chats=GroupChatService(sessions=sessions),
        sharing=ShareService(sessions=sessions),
        stickers=StickerService(
            sessions=sessions,
            blobs=blobs,
            studio=studio or NoStickerStudio(),
            cost=settings.sticker_cost,
        ),
        broadcasts=BroadcastService(
            sessions=sessions, wake=broadcaster.notify if broadcaster else lambda: None
        ),
    )
