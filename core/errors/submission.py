"""Refusals of a submission: nothing was charged and no model was called."""

from __future__ import annotations

from collections.abc import Mapping

from core.errors.base import AIVengerError


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
