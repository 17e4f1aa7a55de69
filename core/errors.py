"""One error root for the domain; adapters map library errors into these at their boundary.

Every error carries a stable `code` (stored on failed generations, counted in metrics) and the
values its message needs (`params`), so the bot turns any of them into a user message in one
place, without string matching and without knowing which error needs which numbers.
"""

from __future__ import annotations

from collections.abc import Mapping


class AIVengerError(Exception):
    """Root of every error the domain raises on purpose."""

    code = "internal"

    @property
    def params(self) -> Mapping[str, object]:
        """What the user-facing text of this error shows (e.g. balance and cost)."""
        return {}


class ConfigError(AIVengerError):
    """A setting is missing or invalid; the message is one line naming the variable."""

    code = "config"


# --- refusals of a submission: nothing was charged -------------------------------------------


class SubmissionRefused(AIVengerError):
    """A photo was not accepted; no credit moved and no model was called."""

    code = "refused"


class InsufficientCredits(SubmissionRefused):
    """The balance does not cover the cost of a generation."""

    code = "insufficient_credits"

    def __init__(self, *, balance: int, cost: int) -> None:
        super().__init__(f"balance {balance} is below the cost {cost}")
        self.balance = balance
        self.cost = cost

    @property
    def params(self) -> Mapping[str, object]:
        return {"credits": self.balance, "cost": self.cost}


class TooManyActive(SubmissionRefused):
    """The user already has the maximum number of queued or running generations."""

    code = "too_many_active"

    def __init__(self, *, limit: int) -> None:
        super().__init__(f"at most {limit} generations may be queued or running per user")
        self.limit = limit

    @property
    def params(self) -> Mapping[str, object]:
        return {"limit": self.limit}


class UnknownUser(SubmissionRefused):
    """The user never started the bot, so they have no account to charge."""

    code = "unknown_user"


class InvalidImage(SubmissionRefused):
    """The upload is not a usable image."""

    code = "invalid_image"


class NotAnImage(InvalidImage):
    """The bytes are not an image format we accept (PDF, text, video, ...)."""

    code = "not_an_image"


class CorruptImage(InvalidImage):
    """The bytes claim to be an image but cannot be decoded completely."""

    code = "corrupt_image"


class ImageTooLarge(InvalidImage):
    """The file is larger than we download or decode."""

    code = "image_too_large"


class ImageTooManyPixels(InvalidImage):
    """The image decodes to more pixels than the cap (a decompression bomb or a huge scan)."""

    code = "image_too_many_pixels"


class ImageOverDecodeBudget(InvalidImage):
    """Decoding would take more memory than one upload may use (huge, mostly flat images).

    Known from the header, so nothing was decoded; sent as a Telegram photo instead of a file,
    the same picture arrives small enough.
    """

    code = "image_over_decode_budget"

    def __init__(self, *, width: int, height: int, mode: str, needed: int, budget: int) -> None:
        super().__init__(
            f"decoding {width}x{height} {mode} needs ~{needed >> 20} MiB; the budget is "
            f"{budget >> 20} MiB"
        )
        self.width = width
        self.height = height
        self.mode = mode
        self.needed = needed
        self.budget = budget


class ImageTooSmall(InvalidImage):
    """Too few pixels on the short side (a dot, a line, a thin strip) to hold a face."""

    code = "image_too_small"


class AnimatedImage(InvalidImage):
    """An animation (GIF, animated WebP) has no single face to transform."""

    code = "animated_image"


class PhotoUnavailable(SubmissionRefused):
    """The photo could not be fetched from the chat (Telegram's file download failed)."""

    code = "photo_unavailable"


# --- lookups and payments ---------------------------------------------------------------------


class NotFound(AIVengerError):
    """The thing does not exist or does not belong to the asking user (indistinguishable)."""

    code = "not_found"


class PaymentRefused(AIVengerError):
    """A checkout we will not accept; `reason` names why (the bot turns it into a message)."""

    code = "payment_refused"

    def __init__(self, reason: str) -> None:
        super().__init__(f"payment refused: {reason}")
        self.reason = reason


# --- the image model ---------------------------------------------------------------------------


class ImageModelError(AIVengerError):
    """The image model did not produce an avatar."""

    code = "model_error"
    transient = False

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class ImageModelRefused(ImageModelError):
    """The model answered without an image: safety filter, prohibited content or text only."""

    code = "model_refused"


class ImageModelBadRequest(ImageModelError):
    """The provider rejected the request as malformed (HTTP 400)."""

    code = "model_bad_request"


class ImageModelAuthError(ImageModelError):
    """The API key is wrong or revoked (HTTP 401): an operator problem."""

    code = "model_auth"


class ImageModelOutOfCredits(ImageModelError):
    """The OpenRouter account has no credits left (HTTP 402): admins must top it up."""

    code = "model_out_of_credits"


class ImageModelGone(ImageModelError):
    """Every model of the chain is unknown or has no endpoints (HTTP 404, or a 400 "not a
    valid model ID"): shut down or misspelt, so admins must configure another one."""

    code = "model_gone"


class ImageModelModeration(ImageModelError):
    """The input was flagged by the provider's moderation (HTTP 403)."""

    code = "model_moderation"


class ImageModelUnavailable(ImageModelError):
    """A transient failure (408, 429, 502, 503, network, timeout) that outlived our retries."""

    code = "model_unavailable"
    transient = True

    def __init__(
        self, message: str, *, status: int | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(message, status=status)
        self.retry_after = retry_after


class ImageModelTimeout(ImageModelUnavailable):
    """The model did not answer within the client timeout."""

    code = "model_timeout"


class ImageModelBadResponse(ImageModelError):
    """The answer was malformed JSON, or its image could not be decoded or fetched."""

    code = "model_bad_response"


# --- storage, delivery and recovery -----------------------------------------------------------


class StorageError(AIVengerError):
    """The blob store failed to put, get or delete an object."""

    code = "storage_error"


class BlobNotFound(StorageError):
    """The blob store has no object under this key."""

    code = "blob_not_found"


class InvalidBlobKey(StorageError):
    """A key that the system did not make (absolute, `..`, odd characters) was refused."""

    code = "invalid_blob_key"


class DeliveryError(AIVengerError):
    """The avatar could not be sent to the user; `permanent` when retrying cannot help."""

    code = "delivery_failed"

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class RecoveryGaveUp(AIVengerError):
    """A job's lease expired more times than the policy allows."""

    code = "recovery_gave_up"
