"""Pure rules of sharing: the inline cursor, the `id:` query, styles by name, sticker images."""

from __future__ import annotations

import io
from datetime import datetime

import pytest
from PIL import Image

from bot.handlers.inline import query_of, styles_matching
from core.errors import CorruptImage
from core.models import Generation
from core.services.sharing import parse_id_query, share_query
from core.sharing import cursor_after, parse_cursor
from core.sticker_image import MAX_STICKER_BYTES, sticker_image
from tests.fakes import images


def test_a_cursor_names_a_position_and_nothing_else_parses() -> None:
    row = Generation(id="ab" * 16, created_at=datetime(2026, 11, 30, 4, 5, 6, 789))
    cursor = cursor_after(row)
    assert len(cursor.encode()) <= 64
    assert parse_cursor(cursor) == (row.created_at, row.id)
    for forged in ("", "[]", "1", "-1." + "a" * 32, "1." + "g" * 32, "1.AB" + "a" * 30, "z" * 20):
        assert parse_cursor(forged) is None, forged


def test_the_share_query_selects_its_avatar_only() -> None:
    gen_id = "0123456789abcdef" * 2
    assert share_query(gen_id) == "id:0123456789ab"
    assert parse_id_query(share_query(gen_id)) == "0123456789ab"
    assert parse_id_query("id:xyz") == ""  # malformed: matches nothing
    assert parse_id_query("id:0123") == ""  # too short to be unambiguous
    assert parse_id_query("noir") is None
    assert query_of("id:0123456789ab").id_prefix == "0123456789ab"


def test_styles_match_by_id_and_by_their_names_in_each_language() -> None:
    assert styles_matching("noir") == {"noir"}
    assert styles_matching("DARK") == {"noir"}
    assert styles_matching("нуар") == {"noir"}
    assert styles_matching("nothing like it") == frozenset()
    assert query_of("  ").styles is None  # everything


@pytest.mark.parametrize("size", [(1024, 768), (300, 900), (512, 512), (64, 48)])
def test_a_sticker_is_512_on_its_long_side_and_within_telegrams_size(
    size: tuple[int, int],
) -> None:
    data = sticker_image(images.jpeg(*size))
    image = Image.open(io.BytesIO(data))
    assert image.format in ("PNG", "WEBP")
    assert max(image.size) == 512 and min(image.size) <= 512
    assert len(data) <= MAX_STICKER_BYTES


def test_a_noisy_avatar_falls_back_to_webp_under_512_kb() -> None:
    noisy = Image.effect_noise((1024, 1024), 120).convert("RGB")
    buffer = io.BytesIO()
    noisy.save(buffer, "PNG")
    data = sticker_image(buffer.getvalue())
    assert Image.open(io.BytesIO(data)).format == "WEBP"
    assert len(data) <= MAX_STICKER_BYTES


def test_an_undecodable_avatar_is_a_typed_error() -> None:
    with pytest.raises(CorruptImage):
        sticker_image(b"not an image")
