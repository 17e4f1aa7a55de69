"""Intake: what we accept, what we refuse (with which typed error), and what we strip."""

from __future__ import annotations

import asyncio
import io
import threading
from collections.abc import Callable

import pytest
from PIL import ExifTags, Image, ImageCms, ImageFile

from core import intake
from core.errors import (
    AnimatedImage,
    CorruptImage,
    ImageTooLarge,
    ImageTooManyPixels,
    InvalidImage,
    NotAnImage,
)
from core.image_model import SUPPORTED_ASPECT_RATIOS, nearest_aspect_ratio
from core.intake import (
    MAX_INPUT_BYTES,
    MAX_SIDE,
    PreparedImage,
    prepare_image,
    prepare_image_sync,
)
from tests.fakes import images

# JFIF/density keys are harmless encoder output; anything else in `info` is metadata we leaked.
_HARMLESS_INFO = {"jfif", "jfif_version", "jfif_unit", "jfif_density", "dpi"}


@pytest.fixture(scope="module")
def big_jpeg() -> bytes:
    return images.jpeg(4000, 3000)


def _decode(prepared: PreparedImage) -> Image.Image:
    im = Image.open(io.BytesIO(prepared.jpeg))
    im.load()
    return im


def _close(pixel: object, expected: tuple[int, ...], tolerance: int = 12) -> bool:
    """JPEG is lossy: compare colours within a tolerance."""
    assert isinstance(pixel, tuple)
    return all(abs(x - y) <= tolerance for x, y in zip(pixel, expected, strict=True))


@pytest.mark.parametrize(
    ("make", "source_format"),
    [(images.jpeg, "JPEG"), (images.png, "PNG"), (images.webp, "WEBP"), (images.heic, "HEIF")],
)
def test_accepted_formats_are_reencoded_to_jpeg(
    make: Callable[..., bytes], source_format: str
) -> None:
    prepared = prepare_image_sync(make(640, 480, (200, 60, 40)))
    im = _decode(prepared)
    assert (prepared.source_format, im.format, im.mode) == (source_format, "JPEG", "RGB")
    assert (prepared.width, prepared.height, prepared.aspect_ratio) == (640, 480, "4:3")
    assert im.size == (640, 480)
    assert _close(im.getpixel((320, 240)), (200, 60, 40))


def test_exif_rotated_photo_comes_out_portrait_and_upright() -> None:
    prepared = prepare_image_sync(images.exif_rotated_jpeg(640, 480))
    im = _decode(prepared)
    assert (prepared.width, prepared.height, prepared.aspect_ratio) == (480, 640, "3:4")
    assert _close(im.getpixel((240, 10)), (255, 0, 0))  # stored left half is now on top
    assert _close(im.getpixel((240, 630)), (0, 0, 255))
    assert len(im.getexif()) == 0  # orientation applied once, not left for viewers to redo


def test_large_photo_is_downscaled_to_max_side(big_jpeg: bytes) -> None:
    prepared = prepare_image_sync(big_jpeg)
    assert (prepared.width, prepared.height, prepared.aspect_ratio) == (2048, 1536, "4:3")
    assert _decode(prepared).size == (2048, 1536)


def test_phone_portrait_keeps_size_and_maps_to_9_16() -> None:
    prepared = prepare_image_sync(images.jpeg(1080, 1920))
    assert (prepared.width, prepared.height, prepared.aspect_ratio) == (1080, 1920, "9:16")


def test_tall_panorama_long_side_capped() -> None:
    prepared = prepare_image_sync(images.png(600, 3000))
    assert (prepared.width, prepared.height) == (410, MAX_SIDE)
    assert prepared.aspect_ratio == "9:16"


def test_png_alpha_is_flattened_on_white() -> None:
    prepared = prepare_image_sync(images.png(64, 48, (255, 0, 0, 0), mode="RGBA"))
    assert _close(_decode(prepared).getpixel((10, 10)), (255, 255, 255), tolerance=2)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (images.png(64, 48, (90, 0, 0), mode="L"), (90, 90, 90)),
        (images.png(64, 48, (10, 120, 200), mode="P"), (10, 120, 200)),
        (images.png(64, 48, mode="I;16"), (156, 156, 156)),  # 40000/256: scaled, not clipped
        (images.jpeg(64, 48, (0, 0, 0, 0), mode="CMYK"), (255, 255, 255)),
        (images.mpo_jpeg(64, 48, (30, 160, 90)), (30, 160, 90)),
    ],
    ids=["gray", "palette", "gray16", "cmyk", "mpo-phone-jpeg"],
)
def test_other_modes_become_rgb(data: bytes, expected: tuple[int, int, int]) -> None:
    im = _decode(prepare_image_sync(data))
    assert im.mode == "RGB"
    assert _close(im.getpixel((32, 24)), expected)


@pytest.mark.parametrize(
    "data",
    [images.jpeg(metadata=True), images.exif_rotated_jpeg()],
    ids=["exif-gps-comment", "rotated-with-gps"],
)
def test_metadata_is_stripped(data: bytes) -> None:
    assert b"TestPhone" in data  # the input really carries it
    prepared = prepare_image_sync(data)
    im = _decode(prepared)
    assert set(im.info) <= _HARMLESS_INFO
    assert len(im.getexif()) == 0
    assert not im.getexif().get_ifd(ExifTags.IFD.GPSInfo)
    for leak in (b"Exif", b"TestPhone", b"shot at home", b"http://ns.adobe.com/xap"):
        assert leak not in prepared.jpeg


def test_embedded_colour_profile_is_applied_then_dropped() -> None:
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    im = _decode(prepare_image_sync(images.jpeg(64, 48, (10, 120, 200), icc_profile=srgb)))
    assert "icc_profile" not in im.info
    assert _close(im.getpixel((32, 24)), (10, 120, 200))


def test_broken_colour_profile_does_not_refuse_the_photo() -> None:
    prepared = prepare_image_sync(images.jpeg(64, 48, icc_profile=b"not a profile"))
    assert "icc_profile" not in _decode(prepared).info


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (images.corrupt_png(), CorruptImage),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, CorruptImage),
        (b"\xff\xd8\xff\xe0" + images.random_bytes(200), CorruptImage),
        (images.truncated_jpeg(), CorruptImage),
        (images.pdf(), NotAnImage),
        (images.random_bytes(4096), NotAnImage),
        (b"just some text, not a photo\n", NotAnImage),
        (b"", NotAnImage),
        (images.gif(), NotAnImage),
        (images.animated_gif(), AnimatedImage),
        (images.animated_webp(), AnimatedImage),
        (images.animated_png(), AnimatedImage),
        (images.decompression_bomb(), ImageTooManyPixels),
        (images.decompression_bomb(8_000, 8_000), ImageTooManyPixels),  # under Pillow's own cap
        (images.huge_dimensions(), ImageTooManyPixels),
    ],
    ids=[
        "corrupt-png",
        "png-signature-only",
        "jpeg-signature-garbage",
        "truncated-jpeg",
        "pdf",
        "random-bytes",
        "text",
        "empty",
        "still-gif",
        "animated-gif",
        "animated-webp",
        "animated-png",
        "bomb-900mp",
        "bomb-64mp",
        "huge-dimensions",
    ],
)
def test_refusals_raise_the_right_typed_error(data: bytes, error: type[InvalidImage]) -> None:
    with pytest.raises(error) as caught:
        prepare_image_sync(data)
    assert type(caught.value) is error


@pytest.mark.filterwarnings("error::PIL.Image.DecompressionBombWarning")
def test_pillow_bomb_warning_as_error_still_maps_to_too_many_pixels() -> None:
    with pytest.raises(ImageTooManyPixels) as caught:
        prepare_image_sync(images.decompression_bomb(10_000, 10_000))  # 100 MP: Pillow warns
    assert caught.value.__cause__ is not None


@pytest.mark.parametrize("data", [images.truncated_jpeg(), images.corrupt_png()])
def test_pillow_errors_are_chained(data: bytes) -> None:
    with pytest.raises(CorruptImage) as caught:
        prepare_image_sync(data)
    assert caught.value.__cause__ is not None


def test_truncated_images_stay_refused_globally() -> None:
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False


def test_size_cap_is_checked_before_opening(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_open(*args: object, **kwargs: object) -> None:
        raise AssertionError("Image.open must not run for an oversized upload")

    monkeypatch.setattr(Image, "open", no_open)
    with pytest.raises(ImageTooLarge):
        prepare_image_sync(b"\xff\xd8\xff" + bytes(MAX_INPUT_BYTES))
    with pytest.raises(ImageTooLarge):
        prepare_image_sync(images.jpeg(), max_bytes=100)


def test_pixel_cap_is_checked_before_decoding(monkeypatch: pytest.MonkeyPatch) -> None:
    loads: list[object] = []
    original_load = ImageFile.ImageFile.load

    def spy_load(self: ImageFile.ImageFile) -> object:
        loads.append(self)
        return original_load(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", spy_load)
    with pytest.raises(ImageTooManyPixels):
        prepare_image_sync(images.huge_dimensions())
    assert loads == []


def test_max_pixels_boundary() -> None:
    data = images.jpeg(100, 50)
    assert prepare_image_sync(data, max_pixels=5000).width == 100
    with pytest.raises(ImageTooManyPixels):
        prepare_image_sync(data, max_pixels=4999)


@pytest.mark.parametrize(
    ("size", "ratio"),
    [
        ((1000, 1000), "1:1"),
        ((4000, 3000), "4:3"),
        ((3000, 4000), "3:4"),
        ((1080, 1920), "9:16"),
        ((1920, 1080), "16:9"),
        ((2520, 1080), "21:9"),
        ((9000, 1000), "21:9"),
        ((1000, 9000), "9:16"),
        ((1200, 1500), "4:5"),
        ((800, 1200), "2:3"),
        ((1010, 1000), "1:1"),
    ],
)
def test_nearest_aspect_ratio(size: tuple[int, int], ratio: str) -> None:
    assert nearest_aspect_ratio(*size) == ratio


def test_every_supported_ratio_maps_to_itself() -> None:
    for ratio in SUPPORTED_ASPECT_RATIOS:
        w, h = (int(part) for part in ratio.split(":"))
        assert nearest_aspect_ratio(w * 100, h * 100) == ratio


@pytest.mark.parametrize("size", [(0, 10), (10, 0), (-1, 5)])
def test_nearest_aspect_ratio_rejects_empty_sizes(size: tuple[int, int]) -> None:
    with pytest.raises(ValueError, match="positive"):
        nearest_aspect_ratio(*size)


def test_prepared_image_repr_leaves_out_the_bytes() -> None:
    assert "jpeg=" not in repr(prepare_image_sync(images.jpeg(64, 48)))


async def test_prepare_image_runs_in_a_worker_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    """While a (blocked) decode runs, the event loop keeps serving other tasks."""
    release = threading.Event()
    seen_threads: list[int] = []
    real_sync = intake.prepare_image_sync

    def slow_sync(data: bytes, **kwargs: int) -> PreparedImage:
        seen_threads.append(threading.get_ident())
        assert release.wait(5), "the loop never got to release the decode"
        return real_sync(data, **kwargs)

    monkeypatch.setattr(intake, "prepare_image_sync", slow_sync)
    task = asyncio.create_task(prepare_image(images.jpeg(64, 48)))
    ticks = 0
    for _ in range(5):
        await asyncio.sleep(0.005)
        ticks += 1
    assert not task.done()
    release.set()
    prepared = await asyncio.wait_for(task, 5)
    assert ticks == 5
    assert prepared.aspect_ratio == "4:3"
    assert seen_threads
    assert seen_threads[0] != threading.get_ident()


async def test_loop_keeps_ticking_during_a_real_big_decode(big_jpeg: bytes) -> None:
    ticks = 0
    done = asyncio.Event()

    async def ticker() -> None:
        nonlocal ticks
        while not done.is_set():
            await asyncio.sleep(0.002)
            ticks += 1

    ticking = asyncio.create_task(ticker())
    prepared = await prepare_image(big_jpeg)
    done.set()
    await ticking
    assert prepared.width == MAX_SIDE
    assert ticks >= 3


async def test_prepare_image_raises_typed_errors_too() -> None:
    with pytest.raises(AnimatedImage):
        await prepare_image(images.animated_gif())
