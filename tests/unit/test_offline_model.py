"""The playground's offline image model: a stylised picture, not the photo, and clearly labelled."""

from __future__ import annotations

import io

from PIL import Image, ImageChops, ImageStat

from core.image_model import ImageModel, ImageRequest
from core.styles import STYLES
from playground.offline_model import (
    BAND_COLOUR,
    BAND_FRACTION,
    MODEL_NAME,
    TEXT_COLOUR,
    OfflineImageModel,
    stylise,
)
from playground.sample_photo import sample_selfie


def decode(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data)).convert("RGB")


def mean_difference(a: Image.Image, b: Image.Image) -> float:
    """Mean absolute difference per channel, 0..255, after matching sizes."""
    diff = ImageChops.difference(a, b.resize(a.size))
    return sum(ImageStat.Stat(diff).mean) / 3


def near(pixel: tuple[int, ...], colour: tuple[int, int, int], tolerance: int = 60) -> bool:
    return sum(abs(p - c) for p, c in zip(pixel, colour, strict=False)) <= tolerance


async def test_it_answers_through_the_image_model_port_with_a_jpeg() -> None:
    model: ImageModel = OfflineImageModel(delay=0)
    photo = sample_selfie()
    request = ImageRequest(prompt=STYLES["noir"].prompt, image_jpeg=photo, aspect_ratio="3:4")

    result = await model.generate(request)

    assert result.content_type == "image/jpeg"
    assert result.model == MODEL_NAME
    assert result.cost is None
    assert decode(result.image).size == (576, 768)  # the photo's shape, at most 768 a side


def test_the_output_differs_substantially_from_the_photo() -> None:
    photo = decode(sample_selfie())
    art = decode(stylise(sample_selfie(), "superhero"))
    above_band = art.crop((0, 0, art.width, int(art.height * (1 - BAND_FRACTION)) - 2))
    same_part = photo.resize(art.size).crop((0, 0, *above_band.size))

    assert mean_difference(above_band, same_part) > 25  # measured: about 55


def test_it_carries_the_offline_preview_band_at_the_bottom() -> None:
    art = decode(stylise(sample_selfie(), "cinematic"))
    band_top = art.height - int(art.height * BAND_FRACTION) + 2
    band = [
        art.getpixel((x, y)) for x in range(0, art.width, 2) for y in range(band_top, art.height, 2)
    ]
    dark = sum(near(p, BAND_COLOUR) for p in band) / len(band)
    lettering = sum(near(p, TEXT_COLOUR, 120) for p in band) / len(band)

    assert dark > 0.6  # a solid band...
    assert lettering > 0.02  # ...with yellow lettering on it
    above = [
        art.getpixel((x, y)) for x in range(0, art.width, 2) for y in range(0, band_top - 10, 2)
    ]
    assert sum(near(p, BAND_COLOUR, 30) for p in above) / len(above) < 0.2


def test_each_style_looks_different() -> None:
    photo = sample_selfie()
    noir, hero = decode(stylise(photo, "noir")), decode(stylise(photo, "superhero"))

    assert mean_difference(noir, hero) > 10
