"""OpenRouter's chat-completions wire format (product.md §5): the request we send, and every
answer mapped to the parts we keep or to one typed error.

`safe` is the adapter's redactor: provider text passes through it before it reaches an error
message, so the API key and multi-KB bodies never do.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
import pybase64

from core.errors import (
    ImageModelBadRequest,
    ImageModelBadResponse,
    ImageModelError,
    ImageModelRefused,
)
from core.image_fetch import sniff_image_type
from core.image_model import ImageRequest
from core.openrouter_errors import error_for_code

Safe = Callable[[str], str]
_DETAIL_LIMIT = 300


@dataclass(frozen=True, slots=True)
class Answer:
    """The parts of a successful completion we keep."""

    image_url: str
    cost: float | None
    model: str  # the model that answered: with a `models` chain, maybe not the first


def _as_dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _image_part(image: bytes, number: int) -> list[bytes]:
    """One image's content part, in pieces for the body's single join: a base64 data URL
    labelled with the image's real type (a PNG avatar to edit is no JPEG). Bytes, ready for
    the body: base64 needs no JSON escaping."""
    mime = sniff_image_type(image)
    if mime is None:
        raise ImageModelBadRequest(f"input image {number} is not a PNG, JPEG or WebP image")
    return [
        b'{"type":"image_url","image_url":{"url":"data:',
        mime.encode("ascii"),
        b";base64,",
        pybase64.b64encode(image),
        b'"}}',
    ]


def request_body(request: ImageRequest, chain: Sequence[str]) -> bytes:
    """Text first, then one data URL per image; `models` only when there is a fallback.

    The images' base64 is spliced in as bytes rather than passed through `json.dumps`: a
    photo is megabytes of text the encoder would scan and copy twice for nothing. The body
    is one join of its pieces, so each image's base64 is copied once, not once per layer."""
    head: dict[str, Any] = {"model": chain[0]}
    if len(chain) > 1:
        head["models"] = list(chain)
    head |= {
        "modalities": ["image", "text"],
        "image_config": {"aspect_ratio": request.aspect_ratio},
    }
    opening = json.dumps(head, ensure_ascii=False).encode("utf-8")[:-1]  # without its "}"
    text = json.dumps({"type": "text", "text": request.prompt}, ensure_ascii=False)
    pieces = [opening, b',"messages":[{"role":"user","content":[', text.encode("utf-8")]
    for number, image in enumerate(request.images, start=1):
        pieces.append(b",")
        pieces += _image_part(image, number)
    pieces.append(b"]}]}")
    return b"".join(pieces)


def http_error(
    status: int, raw: bytes | bytearray, retry_after: float | None, safe: Safe
) -> ImageModelError:
    """A non-200 answer, `{"error": {"code", "message", "metadata"}}` or anything else."""
    try:
        error = _as_dict(_as_dict(orjson.loads(raw)).get("error"))
    except ValueError:
        error = {}
    detail = error.get("message") or raw[:_DETAIL_LIMIT].decode("utf-8", "replace")
    return error_for_code(status, safe(f"OpenRouter HTTP {status}: {detail}"), retry_after)


def _embedded_error(error: object, retry_after: float | None, safe: Safe) -> ImageModelError:
    """An error object inside a 200; a code that is not an HTTP status counts as 502."""
    fields = _as_dict(error)
    code = fields.get("code")
    status = code if isinstance(code, int) and not isinstance(code, bool) else 502
    message = f"OpenRouter error in a 200 answer (code {code!r}): {fields.get('message')}"
    return error_for_code(status, safe(message), retry_after)


def _cost(usage: object) -> float | None:
    cost = _as_dict(usage).get("cost")
    if isinstance(cost, bool) or not isinstance(cost, int | float):
        return None
    return float(cost)


def _refusal_text(choice: dict[str, Any], message: dict[str, Any], safe: Safe) -> str:
    parts = [
        "the model answered without an image",
        f"finish_reason={choice.get('finish_reason')}",
        f"native_finish_reason={choice.get('native_finish_reason')}",
    ]
    for key in ("refusal", "content"):
        if message.get(key):
            parts.append(f"{key}={message[key]!r}")
    return safe(", ".join(parts))


def parse_answer(
    raw: bytes | bytearray, retry_after: float | None, *, primary: str, safe: Safe
) -> Answer:
    """A 200's body: the first image, or the refusal/error it carries instead."""
    try:
        data = orjson.loads(raw)  # 4x faster on a 3 MB answer; depth-capped, never a stack overflow
    except ValueError as exc:
        raise ImageModelBadResponse("OpenRouter answered malformed JSON", status=200) from exc
    if not isinstance(data, dict):
        raise ImageModelBadResponse("OpenRouter answered JSON that is not an object", status=200)
    if data.get("error") is not None:
        raise _embedded_error(data["error"], retry_after, safe)
    choices = data.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        raise ImageModelBadResponse("OpenRouter answer has no choices", status=200)
    choice: dict[str, Any] = choices[0]
    if choice.get("finish_reason") == "error":
        raise _embedded_error(choice.get("error"), retry_after, safe)
    message = _as_dict(choice.get("message"))
    images = message.get("images")
    if not images:
        raise ImageModelRefused(_refusal_text(choice, message, safe), status=200)
    url = _as_dict(_as_dict(images[0] if isinstance(images, list) else None).get("image_url"))
    if not isinstance(url.get("url"), str):
        raise ImageModelBadResponse("OpenRouter image has no URL", status=200)
    model = data.get("model")
    return Answer(
        image_url=url["url"],
        cost=_cost(data.get("usage")),
        model=model if isinstance(model, str) and model else primary,
    )
