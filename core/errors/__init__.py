"""One error root for the domain; adapters map library errors into these at their boundary.

Every error carries a stable `code` (stored on failed generations, counted in metrics) and the
values its message needs (`params`), so the bot turns any of them into a user message in one
place, without string matching and without knowing which error needs which numbers.

The types live in submodules by family; this package is their one public face: import them
from `core.errors`.
"""

from core.errors.base import AIVengerError, ConfigError, NotFound
from core.errors.job import DeliveryError, RecoveryGaveUp
from core.errors.model import (
    ImageModelAuthError,
    ImageModelBadRequest,
    ImageModelBadResponse,
    ImageModelError,
    ImageModelGone,
    ImageModelModeration,
    ImageModelOutOfCredits,
    ImageModelRefused,
    ImageModelTimeout,
    ImageModelUnavailable,
)
from core.errors.payment import PaymentRefused
from core.errors.sharing import (
    BroadcastAlreadyRunning,
    BroadcastAlreadySent,
    RecipientBlocked,
    SendFlood,
    StickerFlood,
    StickerInProgress,
    StickerNameTaken,
    StickerPackFull,
    StickerRefused,
    StickerSetGone,
)
from core.errors.storage import BlobNotFound, InvalidBlobKey, StorageError
from core.errors.submission import (
    AnimatedImage,
    CorruptImage,
    ImageOverDecodeBudget,
    ImageTooLarge,
    ImageTooManyPixels,
    ImageTooSmall,
    InsufficientCredits,
    InvalidImage,
    NotAnImage,
    PhotoUnavailable,
    SubmissionRefused,
    TooManyActive,
    UnknownUser,
)

__all__ = [
    "AIVengerError",
    "AnimatedImage",
    "BlobNotFound",
    "BroadcastAlreadyRunning",
    "BroadcastAlreadySent",
    "ConfigError",
    "CorruptImage",
    "DeliveryError",
    "ImageModelAuthError",
    "ImageModelBadRequest",
    "ImageModelBadResponse",
    "ImageModelError",
    "ImageModelGone",
    "ImageModelModeration",
    "ImageModelOutOfCredits",
    "ImageModelRefused",
    "ImageModelTimeout",
    "ImageModelUnavailable",
    "ImageOverDecodeBudget",
    "ImageTooLarge",
    "ImageTooManyPixels",
    "ImageTooSmall",
    "InsufficientCredits",
    "InvalidBlobKey",
    "InvalidImage",
    "NotAnImage",
    "NotFound",
    "PaymentRefused",
    "PhotoUnavailable",
    "RecipientBlocked",
    "RecoveryGaveUp",
    "SendFlood",
    "StickerFlood",
    "StickerInProgress",
    "StickerNameTaken",
    "StickerPackFull",
    "StickerRefused",
    "StickerSetGone",
    "StorageError",
    "SubmissionRefused",
    "TooManyActive",
    "UnknownUser",
]
