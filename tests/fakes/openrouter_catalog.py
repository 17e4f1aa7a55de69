"""The fake OpenRouter's model catalogue: which ids exist, what they output, which are up.

It answers `GET /models` in OpenRouter's wire format and decides, like OpenRouter's `models`
routing, which model of a request's chain answers: the first one that exists and has an
endpoint. A model OpenRouter does not know is a 400 ("not a valid model ID"); one it knows but
cannot serve (shut down, disabled) is a 404 ("No endpoints found for …").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

IMAGE_MODELS = (
    "google/gemini-2.5-flash-image",
    "google/gemini-3.1-flash-image",
    "google/gemini-3-pro-image",
)
TEXT_MODEL = "openai/gpt-4o-mini"


@dataclass(slots=True)
class FakeModel:
    id: str
    output_modalities: list[str]
    input_modalities: list[str] = field(default_factory=lambda: ["image", "text"])
    available: bool = True  # False: listed, but no endpoint serves it (a 404)

    def wire(self) -> dict[str, Any]:
        """One entry of `GET /models`' `data` list."""
        modality = f"{'+'.join(self.input_modalities)}->{'+'.join(self.output_modalities)}"
        return {
            "id": self.id,
            "canonical_slug": self.id,
            "name": self.id.split("/", 1)[-1],
            "created": 1_759_363_200,
            "description": f"{self.id} (served by the local OpenRouter fake)",
            "context_length": 32_768,
            "architecture": {
                "modality": modality,
                "input_modalities": list(self.input_modalities),
                "output_modalities": list(self.output_modalities),
                "tokenizer": "Gemini" if self.id.startswith("google/") else "GPT",
                "instruct_type": None,
            },
            "pricing": {"prompt": "0.0000003", "completion": "0.0000025", "image": "0"},
            "top_provider": {
                "context_length": 32_768,
                "max_completion_tokens": 8_192,
                "is_moderated": False,
            },
            "per_request_limits": None,
            "supported_parameters": ["max_tokens", "temperature", "top_p", "response_format"],
        }


@dataclass(frozen=True, slots=True)
class RouteError:
    status: int
    message: str


class Catalogue:
    """What the fake knows; tests `disable()`, `remove()` or `add()` models."""

    def __init__(self) -> None:
        self.models: dict[str, FakeModel] = {
            model: FakeModel(model, ["image", "text"]) for model in IMAGE_MODELS
        }
        self.models[TEXT_MODEL] = FakeModel(TEXT_MODEL, ["text"])

    def add(self, model: str, *, outputs: tuple[str, ...] = ("image", "text")) -> None:
        self.models[model] = FakeModel(model, list(outputs))

    def disable(self, *models: str) -> None:
        """Still listed, but every request to it is a 404 (what a shut-down model looks like)."""
        for model in models:
            self.models[model].available = False

    def enable(self, *models: str) -> None:
        for model in models:
            self.models[model].available = True

    def remove(self, *models: str) -> None:
        for model in models:
            self.models.pop(model, None)

    def listing(self, output_modalities: str | None) -> dict[str, Any]:
        """`GET /models`: text-output models by default, like OpenRouter; `all` lists all."""
        wanted = {m.strip() for m in (output_modalities or "text").split(",") if m.strip()}
        return {
            "data": [
                model.wire()
                for model in self.models.values()
                if "all" in wanted or wanted & set(model.output_modalities)
            ]
        }

    def route(self, chain: list[str]) -> str | RouteError:
        """The model that answers, or the error of the last one tried (OpenRouter's rule)."""
        error = RouteError(400, "No models provided")
        for model in chain:
            known = self.models.get(model)
            if known is None:
                error = RouteError(400, f"{model} is not a valid model ID")
            elif not known.available:
                error = RouteError(404, f"No endpoints found for {model}.")
            elif "image" not in known.output_modalities:
                error = RouteError(
                    404, f"No endpoints found that support image output for {model}."
                )
            else:
                return model
        return error


def chain_of(body: dict[str, Any]) -> list[str]:
    """The request's models in routing order: `models` when given (with `model` first)."""
    model = body.get("model")
    models = body.get("models")
    chain = [m for m in models if isinstance(m, str)] if isinstance(models, list) else []
    if isinstance(model, str) and model and model not in chain:
        chain.insert(0, model)
    return chain
