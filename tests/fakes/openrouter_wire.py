"""What goes over the wire to the OpenRouter fake: recorded requests and scripted outcomes."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

Kind = Literal[
    "success",
    "text_only",
    "refusal",
    "error_in_200",
    "top_level_error",
    "http",
    "malformed_json",
    "hang",
    "image_url",
    "raw",
]


@dataclass(frozen=True, slots=True)
class FakeRequest:
    headers: Mapping[str, str]  # case-insensitive
    json: Any  # None when the body was not JSON
    at: float  # time.monotonic() on arrival

    @property
    def parts(self) -> list[str]:
        """The user message's part types in order, e.g. `["text", "image_url", "image_url"]`."""
        return [str(part.get("type")) for part in _content_of(self.json)]

    @property
    def image_urls(self) -> list[str]:
        return [
            str(part.get("image_url", {}).get("url"))
            for part in _content_of(self.json)
            if part.get("type") == "image_url"
        ]

    @property
    def images(self) -> list[bytes]:
        """The input images, decoded from their data URLs, in the order they were sent."""
        return [base64.b64decode(url.partition(",")[2]) for url in self.image_urls]

    @property
    def image_types(self) -> list[str]:
        """The MIME type each data URL declares (`data:<type>;base64,...`)."""
        return [url.removeprefix("data:").partition(";")[0] for url in self.image_urls]


@dataclass(frozen=True, slots=True)
class Outcome:
    """What the fake does with one request; build with the factory methods."""

    kind: Kind
    status: int = 200
    code: int | str | None = None
    message: str = ""
    retry_after: float | str | None = None
    seconds: float = 0.0
    url: str = ""
    image: bytes | None = None
    mime: str | None = None
    native: str = "STOP"
    empty_list: bool = False
    body: Any = None

    @classmethod
    def success(cls, image: bytes | None = None, *, mime: str | None = None) -> Outcome:
        """A normal answer; `mime` overrides the data URL's label (to test sniffing)."""
        return cls("success", image=image, mime=mime)

    @classmethod
    def text_only(cls, text: str = "I can't help with that.") -> Outcome:
        return cls("text_only", message=text)

    @classmethod
    def refusal(cls, native: str = "IMAGE_SAFETY", *, empty_list: bool = False) -> Outcome:
        return cls("refusal", native=native, empty_list=empty_list)

    @classmethod
    def error_in_200(cls, code: int | str = 502, message: str = "Provider error") -> Outcome:
        """`finish_reason: "error"` with `choices[0].error`."""
        return cls("error_in_200", code=code, message=message)

    @classmethod
    def top_level_error(cls, code: int | str = 502, message: str = "Provider error") -> Outcome:
        """A 200 whose body carries a top-level `error` object."""
        return cls("top_level_error", code=code, message=message)

    @classmethod
    def http(
        cls, status: int, message: str = "", *, retry_after: float | str | None = None
    ) -> Outcome:
        return cls(
            "http", status=status, message=message or f"HTTP {status}", retry_after=retry_after
        )

    @classmethod
    def malformed_json(cls, text: str = "") -> Outcome:
        """A 200 whose body is not JSON we can use: cut off, or `text` as it is."""
        return cls("malformed_json", message=text)

    @classmethod
    def hang(cls, seconds: float) -> Outcome:
        """Say nothing for `seconds` (ended early by `stop()`), then answer normally."""
        return cls("hang", seconds=seconds)

    @classmethod
    def https_url(cls, url: str) -> Outcome:
        """Success, but the image is a URL to fetch rather than a data URL."""
        return cls("image_url", url=url)

    @classmethod
    def bad_base64(cls) -> Outcome:
        return cls("image_url", url="data:image/png;base64,@@not*base64@@")

    @classmethod
    def raw(cls, body: Any, status: int = 200) -> Outcome:
        """Any JSON body, for shapes the other outcomes do not cover."""
        return cls("raw", status=status, body=body)


def _content_of(body: Any) -> list[dict[str, Any]]:
    try:
        parts = body["messages"][0]["content"]
    except (KeyError, IndexError, TypeError):
        return []
    return [part for part in parts if isinstance(part, dict)] if isinstance(parts, list) else []


def prompt_of(body: Any) -> str:
    try:
        parts = body["messages"][0]["content"]
        return " ".join(p["text"] for p in parts if p.get("type") == "text")
    except (KeyError, IndexError, TypeError):
        return ""
