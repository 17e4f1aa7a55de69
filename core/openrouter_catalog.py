"""The start-up check of the model chain against OpenRouter's catalogue (`GET {base}/models`).

A model that was shut down or misspelt fails every photo, so operators should read about it in
the start-up log rather than learn it from refunds. The check only advises: an unreachable,
slow or odd catalogue is logged and start-up goes on.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import httpx
import orjson

from core.image_fetch import read_capped

log = logging.getLogger(__name__)

# The full catalogue is a few MB of JSON; anything far bigger is not the catalogue.
_MAX_CATALOGUE_BYTES = 32 * 1024 * 1024
# Without this filter OpenRouter lists text-output models only, and image-only models vanish.
_ALL_MODALITIES = {"output_modalities": "all"}


def _output_modalities(data: object) -> dict[str, list[str]] | None:
    """Model id → its output modalities, from `{"data": [{"id", "architecture": {...}}]}`."""
    entries = data.get("data") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        return None
    catalogue: dict[str, list[str]] = {}
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
            continue
        architecture = entry.get("architecture")
        outputs = architecture.get("output_modalities") if isinstance(architecture, dict) else None
        catalogue[entry["id"]] = [str(o) for o in outputs] if isinstance(outputs, list) else []
    return catalogue


def problems_with(models: Sequence[str], catalogue: Mapping[str, list[str]]) -> list[str]:
    """One line per configured model that is missing or makes no image."""
    problems: list[str] = []
    for model in models:
        outputs = catalogue.get(model)
        if outputs is None:
            problems.append(
                f"image model {model} is not in OpenRouter's model list (shut down or "
                "misspelt?); photos fail unless another model of the chain answers"
            )
        elif "image" not in outputs:
            problems.append(
                f"model {model} lists no image output (output_modalities={outputs}); "
                "it cannot make avatars"
            )
    return problems


async def _fetch(
    client: httpx.AsyncClient, url: str, headers: Mapping[str, str], seconds: float
) -> Any:
    async with client.stream(
        "GET",
        url,
        params=_ALL_MODALITIES,
        headers=dict(headers),
        timeout=httpx.Timeout(seconds),
        follow_redirects=False,
    ) as response:
        if response.status_code != 200:
            raise ValueError(f"HTTP {response.status_code}")
        return orjson.loads(await read_capped(response, _MAX_CATALOGUE_BYTES))


async def check_models(
    client: httpx.AsyncClient,
    *,
    base_url: str,
    headers: Mapping[str, str],
    models: Sequence[str],
    seconds: float,
    redact: Callable[[str], str],
) -> list[str]:
    """Log a warning per problem and return them; never raises, never waits past `seconds`."""
    url = base_url.rstrip("/") + "/models"
    headers = {k: v for k, v in headers.items() if k.lower() != "content-type"}
    try:
        async with asyncio.timeout(seconds):
            data = await _fetch(client, url, headers, seconds)
    except Exception as exc:  # advisory only: nothing here may stop the bot from starting
        reason = redact(f"{type(exc).__name__}: {exc}")[:300]
        log.warning("could not check the image models against %s: %s", url, reason)
        return []
    catalogue = _output_modalities(data)
    if catalogue is None:
        log.warning("could not check the image models: %s answered no data list", url)
        return []
    problems = problems_with(models, catalogue)
    for problem in problems:
        log.warning("%s", problem)
    if not problems:
        log.info("image models available on OpenRouter: %s", ", ".join(models))
    return problems
