"""The designed looks a marketer picks for a campaign's cards and posters, as data.

A look changes colour and emphasis, never the geometry: the QR tile, the
sharer line and every text box stay where :mod:`publishing.render.card` puts
them, so every look scans and nothing is clipped in every size.
"""
from __future__ import annotations

from dataclasses import dataclass

MAX_BADGES = 3
MAX_BADGE_LENGTH = 6
SUGGESTED_BADGES = ("包邮", "赠品", "限时", "新品", "爆款")


@dataclass(frozen=True)
class Look:
    """How a card is dressed.

    ``price_band``: the price sits white on a block of the brand colour, set
    larger. ``accent``: a colour that replaces the brand colour for the price
    and the rule above the text (festive red), or ``None``. ``badge_fill`` and
    ``badge_ink``: the pills that carry badges such as 包邮 over the photo.
    """

    id: str
    price_scale: float = 1.0
    price_band: bool = False
    accent: str | None = None
    rule_color: str | None = None
    badge_fill: str = "#1C1C1E"
    badge_ink: str = "#FFFFFF"


LOOKS: dict[str, Look] = {
    "clean": Look("clean"),
    "bold_price": Look("bold_price", price_scale=1.18, price_band=True),
    "festive": Look("festive", price_scale=1.08, accent="#C62828", rule_color="#F2B705",
                    badge_fill="#C62828", badge_ink="#FFF4CC"),
}
DEFAULT_LOOK = "clean"


def get_look(look_id: str) -> Look:
    """:raise ValueError: an unknown look."""
    try:
        return LOOKS[look_id]
    except KeyError:
        raise ValueError(f"look must be one of {sorted(LOOKS)}, got {look_id!r}") from None


def badge_errors(badges: list[str]) -> str | None:
    """Why ``badges`` cannot be drawn (too many, empty or too long to fit a pill), or ``None``."""
    if len(badges) > MAX_BADGES:
        return f"at most {MAX_BADGES} badges"
    for badge in badges:
        if not badge.strip() or len(badge.strip()) > MAX_BADGE_LENGTH:
            return f"each badge is 1 to {MAX_BADGE_LENGTH} characters"
    return None
