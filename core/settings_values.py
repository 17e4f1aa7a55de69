"""Settings values written as text in the environment: comma-separated lists and the credit
packs (`credits:stars` items)."""

from __future__ import annotations


class CreditPack(tuple[str, int, int]):
    """(pack id, credits, price in Stars); parsed from `credits:stars` items."""

    @property
    def pack_id(self) -> str:
        return self[0]

    @property
    def credits(self) -> int:
        return self[1]

    @property
    def stars(self) -> int:
        return self[2]


def parse_items(text: str) -> list[str]:
    return [item.strip() for item in text.split(",") if item.strip()]


def parse_packs(value: object) -> list[CreditPack]:
    if not isinstance(value, str):
        raise ValueError("expected items like 50:50,120:100 (credits:stars)")
    packs: list[CreditPack] = []
    for item in parse_items(value):
        credits_text, _, stars_text = str(item).partition(":")
        if not (credits_text.isdigit() and stars_text.isdigit()):
            raise ValueError(f"{item!r} is not credits:stars")
        credits, stars = int(credits_text), int(stars_text)
        if credits <= 0 or stars <= 0:
            raise ValueError(f"{item!r} must be positive")
        packs.append(CreditPack((f"p{credits}", credits, stars)))
    if not packs:
        raise ValueError("at least one pack is needed")
    return packs
