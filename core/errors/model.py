"""What the image model did wrong: each failure of the provider mapped to one type."""

from __future__ import annotations

from core.errors.base import AIVengerError


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
