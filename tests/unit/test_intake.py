"""Intake: what we accept, what we refuse (with which typed error), and what we strip."""

from __future__ import annotations

import asyncio
import io
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import ExifTags, Image, ImageCms, ImageFile

from core import intake
from core.errors import (
    AnimatedImage,
    CorruptImage,
    ImageOverDecodeBudget,
    ImageTooLarge,
    ImageTooManyPixels,
    ImageTooSmall,
    InvalidImage,
    NotAnImage,
)
from core.image_budget import DECODE_BUDGET_BYTES, MiB, decode_cost
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


# --- bounded decoding (issue 13 item 2) -------------------------------------------------------


@pytest.fixture
def decodes(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Every ImageFile.load (the full decode) intake starts."""
    seen: list[object] = []
    original_load = ImageFile.ImageFile.load

    def spy_load(self: ImageFile.ImageFile) -> object:
        seen.append(self)
        return original_load(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", spy_load)
    return seen


def test_small_file_that_decodes_to_hundreds_of_mib_is_refused_unread(
    decodes: list[object],
) -> None:
    bomb = images.flat_png()  # the PNG: 7071×7071 RGBA, under the 50 MP cap
    assert len(bomb) < 300 * 1024
    with pytest.raises(ImageOverDecodeBudget) as caught:
        prepare_image_sync(bomb)
    assert decodes == []
    refusal = caught.value
    assert (refusal.width, refusal.height, refusal.mode) == (7071, 7071, "RGBA")
    assert refusal.needed > 400 * MiB > DECODE_BUDGET_BYTES == refusal.budget
    assert refusal.code == "image_over_decode_budget"


def test_decode_cost_counts_channels_and_bit_depth_not_only_pixels() -> None:
    def cost(mode: str, transparent: bool = False, fmt: str = "PNG") -> int:
        return decode_cost(fmt, mode, (4000, 4000), transparent=transparent).peak_bytes

    assert cost("L") < cost("I;16") < cost("RGB") < cost("RGBA")
    assert cost("P") < cost("P", transparent=True)  # tRNS: decoded to RGBA before shrinking
    assert cost("RGB") < cost("RGB", fmt="WEBP")  # libwebp's own canvas on top


def test_same_pixels_pass_or_fail_by_channels() -> None:
    budget = 60 * MiB
    grey = prepare_image_sync(images.flat_png(2600, 2600, mode="L"), max_decode_bytes=budget)
    assert (grey.width, grey.height) == (MAX_SIDE, MAX_SIDE)
    with pytest.raises(ImageOverDecodeBudget):
        prepare_image_sync(images.flat_png(2600, 2600, mode="RGBA"), max_decode_bytes=budget)


def test_jpeg_budget_is_counted_after_draft_scaling() -> None:
    """A JPEG decodes at 1/2 scale (DCT), so it passes where a PNG of the same size does not."""
    budget = 48 * MiB
    big = images.jpeg(4096, 3072)
    prepared = prepare_image_sync(big, max_decode_bytes=budget)
    assert (prepared.width, prepared.height) == (2048, 1536)
    with pytest.raises(ImageOverDecodeBudget):
        prepare_image_sync(images.flat_png(4096, 3072, mode="RGB"), max_decode_bytes=budget)


@pytest.mark.parametrize(
    ("fmt", "mode", "size"),
    [
        ("JPEG", "RGB", (4032, 3024)),  # a 12 MP phone photo
        ("JPEG", "RGB", (4080, 3060)),  # a 50 MP phone photo after draft (1/2)
        ("HEIF", "RGB", (4032, 3024)),  # an iPhone HEIC sent as a file
        ("PNG", "RGBA", (1290, 2796)),  # a phone screenshot
        ("JPEG", "CMYK", (3000, 2000)),
    ],
)
def test_real_phone_photos_fit_the_default_budget(
    fmt: str, mode: str, size: tuple[int, int]
) -> None:
    assert decode_cost(fmt, mode, size, transparent=False).peak_bytes <= DECODE_BUDGET_BYTES


def test_twelve_megapixel_photo_passes_the_default_budget(big_jpeg: bytes) -> None:
    phone = images.jpeg(4032, 3024)
    prepared = prepare_image_sync(phone)
    assert (prepared.width, prepared.height, prepared.aspect_ratio) == (2048, 1536, "4:3")


def _peak_rss() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise LookupError("no VmHWM")


def _rss() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise LookupError("no VmRSS")


@pytest.mark.skipif(not Path("/proc/self/clear_refs").exists(), reason="Linux peak RSS only")
async def test_six_bombs_at_once_barely_move_peak_memory() -> None:
    """The issue's flood: six at once took +4.5 GiB; now each is refused from its header."""
    bomb = images.flat_png()
    before = _rss()
    Path("/proc/self/clear_refs").write_text("5")  # reset VmHWM to the current RSS
    results = await asyncio.gather(*(prepare_image(bomb) for _ in range(6)), return_exceptions=True)
    assert all(isinstance(r, ImageOverDecodeBudget) for r in results)
    assert _peak_rss() - before < 600 * MiB  # generous: the measured rise is a few MiB


async def test_decodes_run_in_intakes_own_small_pool(monkeypatch: pytest.MonkeyPatch) -> None:
    """Ten uploads at once: at most DECODE_WORKERS decode together, all in intake's threads."""
    lock = threading.Lock()
    running = 0
    most = 0
    names: set[str] = set()
    real_sync = intake.prepare_image_sync

    def counted_sync(data: bytes, **kwargs: int) -> PreparedImage:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
            names.add(threading.current_thread().name)
        try:
            threading.Event().wait(0.05)
            return real_sync(data, **kwargs)
        finally:
            with lock:
                running -= 1

    monkeypatch.setattr(intake, "prepare_image_sync", counted_sync)
    done = await asyncio.gather(*(prepare_image(images.jpeg(64, 48)) for _ in range(10)))
    assert len(done) == 10
    assert most == intake.DECODE_WORKERS == 2
    assert names and all(name.startswith("intake-decode") for name in names)


async def test_a_cancelled_upload_waiting_in_line_is_never_decoded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    release = threading.Event()
    started: list[bytes] = []

    def blocking_sync(data: bytes, **kwargs: int) -> PreparedImage:
        started.append(data)
        assert release.wait(5)
        return prepare_image_sync(images.jpeg(64, 48))

    monkeypatch.setattr(intake, "prepare_image_sync", blocking_sync)
    busy = [asyncio.create_task(prepare_image(b"busy%d" % i)) for i in range(2)]
    waiting = asyncio.create_task(prepare_image(b"waiting"))
    while len(started) < 2:
        await asyncio.sleep(0.005)
    waiting.cancel()
    release.set()
    await asyncio.gather(*busy)
    with pytest.raises(asyncio.CancelledError):
        await waiting
    assert b"waiting" not in started


# --- the intake corpus (issue 13 item 8, image part) ------------------------------------------


@pytest.mark.parametrize(
    ("data", "size", "ratio", "probes"),
    [
        (
            images.jpeg(3000, 2000, (0, 0, 0, 0), mode="CMYK"),
            (2048, 1365),
            "3:2",
            [((1000, 600), (255, 255, 255))],
        ),
        (images.png16_rgb(64, 48), (64, 48), "4:3", [((32, 24), (156, 156, 156))]),
        (
            images.flat_png(3000, 1000, mode="L", bit_depth=16),
            (2048, 683),
            "21:9",
            [((1000, 300), (156, 156, 156))],
        ),
        (
            images.paletted_png_with_transparency(64, 48),
            (64, 48),
            "4:3",
            [((8, 24), (255, 255, 255)), ((56, 24), (0, 0, 255))],
        ),
        (
            images.png(3000, 2400, (0, 128, 0, 255), mode="RGBA"),
            (2048, 1638),
            "5:4",
            [((1000, 800), (0, 128, 0))],
        ),
        (
            images.exif_rotated_jpeg(3000, 2000),
            (1365, 2048),
            "2:3",
            [((680, 20), (255, 0, 0)), ((680, 2020), (0, 0, 255))],
        ),
        (images.heic(300, 400, (30, 160, 90)), (300, 400), "3:4", [((150, 200), (30, 160, 90))]),
        (images.png(20_000, 1_000), (2048, 102), "21:9", []),  # a panorama strip: still a photo
    ],
    ids=[
        "cmyk",
        "png-16bit-rgb",
        "png-16bit-grey-big",
        "paletted-transparent",
        "rgba-big",
        "exif-rotated-big",
        "heic",
        "wide-panorama",
    ],
)
def test_corpus_accepted_as_upright_rgb_jpeg(
    data: bytes,
    size: tuple[int, int],
    ratio: str,
    probes: list[tuple[tuple[int, int], tuple[int, int, int]]],
) -> None:
    prepared = prepare_image_sync(data)
    im = _decode(prepared)
    assert (im.format, im.mode, im.size) == ("JPEG", "RGB", size)
    assert (prepared.width, prepared.height, prepared.aspect_ratio) == (*size, ratio)
    for xy, colour in probes:
        assert _close(im.getpixel(xy), colour), xy


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (images.animated_webp(), AnimatedImage),
        (images.animated_png(), AnimatedImage),
        (images.truncated_progressive_jpeg(), CorruptImage),
        (images.truncated_progressive_jpeg(0.1), CorruptImage),
        (images.png(1, 1), ImageTooSmall),
        (images.png(10_000, 1), ImageTooSmall),
        (images.png(1, 10_000), ImageTooSmall),
        (images.png(20_000, 300), ImageTooSmall),  # 2048×30 once downscaled: a line
        (images.pdf(), NotAnImage),
        (b"%PDF-1.4 renamed to selfie.jpg", NotAnImage),
    ],
    ids=[
        "animated-webp",
        "apng",
        "truncated-progressive",
        "progressive-header-only",
        "1x1",
        "10000x1",
        "1x10000",
        "thin-strip",
        "pdf",
        "text-named-jpg",
    ],
)
def test_corpus_refused_with_one_typed_error(data: bytes, error: type[InvalidImage]) -> None:
    with pytest.raises(error) as caught:
        prepare_image_sync(data)
    assert type(caught.value) is error


def test_smallest_accepted_image() -> None:
    prepared = prepare_image_sync(images.png(intake.MIN_SIDE, intake.MIN_SIDE))
    assert (prepared.width, prepared.height) == (intake.MIN_SIDE, intake.MIN_SIDE)
    with pytest.raises(ImageTooSmall):
        prepare_image_sync(images.png(intake.MIN_SIDE - 1, 200))


def _refusals(root: type[InvalidImage] = InvalidImage) -> list[type[InvalidImage]]:
    return [root, *(c for sub in root.__subclasses__() for c in _refusals(sub))]


def test_every_image_refusal_has_a_text_in_both_languages() -> None:
    from bot.texts_en import EN
    from bot.texts_ru import RU

    codes = {refusal.code for refusal in _refusals()[1:]}  # InvalidImage itself is abstract
    assert {"image_over_decode_budget", "image_too_small"} <= codes
    for catalog in (EN, RU):
        assert sorted(c for c in codes if f"error.{c}" not in catalog) == []
