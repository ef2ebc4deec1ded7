"""The master content of a campaign, as plain values.

Everything that renders a post (text composition, image layout) takes these
values and nothing else: no session, no request. Services build them from the
database and hand them to the pure functions.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal


@dataclass(frozen=True)
class MasterContent:
    """What a marketer writes once for a campaign.

    ``price`` and ``original_price`` are exact decimals in ``currency``; the
    brand's price is the only price any post shows. ``look`` names one of
    ``publishing.render.looks.LOOKS``; ``badges`` are short promises (包邮,
    赠品, 限时) drawn on the photo. ``products`` lists the campaign's products
    (hero first) when it promotes two or more: feed cards and posters then show
    them as a grid (none: the one product the title and price describe). ``seller_opener`` is the line a seller's
    post on a personal channel opens with, in the marketer's words (none by default).
    """

    title: str
    body: str
    price: Decimal
    currency: str = "CNY"
    original_price: Decimal | None = None
    hashtags: tuple[str, ...] = ()
    brand_name: str = ""
    brand_color: str = "#C8102E"
    call_to_action: str = ""
    landing_url: str = ""
    language: str = "zh-CN"
    look: str = "clean"
    seller_opener: str = ""
    badges: tuple[str, ...] = ()
    products: tuple[ProductLine, ...] = ()


@dataclass(frozen=True)
class ProductLine:
    """One of several products a campaign promotes, as a grid card shows it (name and the brand's price)."""

    name: str
    price: Decimal
    original_price: Decimal | None = None


@dataclass(frozen=True)
class SharerVoice:
    """The sharer a personal version is made for.

    ``link`` is their tracked ``/r/<code>`` URL; ``code`` is the short code word
    a buyer can quote where links are not clickable. ``avatar`` is the media
    storage key of the photo they chose to show beside their name ("": none).
    """

    name: str
    link: str
    code: str
    qr_payload: str = field(default="")
    avatar: str = ""

    @property
    def qr_target(self) -> str:
        return self.qr_payload or self.link
