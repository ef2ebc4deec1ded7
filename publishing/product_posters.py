"""A product's own poster: one picked product, in one seller's voice, with the QR code of their link for it.

The seller's shop (选品) gives each picked product its own link (``links.product_id``); its poster
shows that product alone (its photo, name and brand price) and carries that link, not the
campaign's general one. It is drawn like every poster (:mod:`publishing.renders`): from a snapshot
(the campaign's content version with the product's name, prices and photo in place of the
campaign's), keyed by everything drawn, so it is drawn on first view and found again after.
"""
from __future__ import annotations

from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.models import Campaign, Product
from catalog.products import campaign_products
from channels import REGISTRY
from channels.content import SharerVoice
from plumbing.money import format_amount
from publishing.models import CampaignImage
from publishing.posts import Writer, current_version
from publishing.renders import Rendered, Renderer, plan_slots
from publishing.storage import KEY_RE, Storage, public_url
from publishing.versions import _image_json
from referrals.identity import poster_name
from referrals.links import link_urls
from referrals.models import Link, Sharer

# The channel whose poster a seller or buyer gets outside any post: those whose posts travel by QR code first.
POSTER_CHANNELS = ("wechat_moments", "xiaohongshu", "instagram", "douyin")


def poster_channel(campaign: Campaign) -> str | None:
    """The campaign's channel whose personal poster is shown on share and link pages (QR channels first)."""
    usable = [c for c in campaign.channels if c in REGISTRY and REGISTRY[c].spec.in_library]
    for channel in POSTER_CHANNELS:
        if channel in usable:
            return channel
    return usable[0] if usable else None


def _media_key(url: str) -> str | None:
    """The storage key of one of our own ``/media/<key>`` URLs (None for any other address)."""
    path = urlsplit(url).path
    if not path.startswith("/media/"):
        return None
    key = path[len("/media/"):]
    return key if KEY_RE.match(key) else None


def product_photos(session: Session, campaign: Campaign, product: Product, snapshot: dict) -> list[dict]:
    """The photo a product's poster is drawn from: the first of the product's images that is one of the
    workspace's uploaded photos; else, for the campaign's hero product (or its only one), the campaign's
    product photos that are no other product's own; else none (the poster shows a plain panel)."""
    for url in product.images or ():
        key = _media_key(url)
        if key is None:
            continue
        image = session.scalar(select(CampaignImage).where(CampaignImage.workspace_id == campaign.workspace_id,
                                                           CampaignImage.storage_key == key)
                               .order_by(CampaignImage.id).limit(1))
        if image is not None:
            return [_image_json(image)]
    products = campaign_products(session, campaign.id)
    if products and products[0].id != product.id:
        return []
    # Not another product's own photo (uploaded to the campaign, then named in that product's images).
    others = {_media_key(url) for other in products if other.id != product.id for url in other.images or ()}
    return [photo for photo in snapshot["photos"] if photo["storage_key"] not in others]


def product_snapshot(session: Session, campaign: Campaign, product: Product, snapshot: dict) -> dict:
    """The campaign's content ``snapshot`` retold for one of its products: its name, brand price, landing
    page and photo; the brand, colours, look and language stay the campaign's."""
    original = product.original_price_minor
    return {**{k: v for k, v in snapshot.items() if k != "products"},
            "title": product.name, "body": "",
            "price": format_amount(product.price_minor, product.currency),
            "original_price": format_amount(original, product.currency) if original is not None else None,
            "currency": product.currency, "landing_url": product.landing_url,
            "photos": product_photos(session, campaign, product, snapshot)}


def product_poster(session: Session, writer: Writer, store: Storage, campaign: Campaign, product: Product,
                   sharer: Sharer, link: Link, public: str) -> dict | None:
    """The seller's poster for ``product`` carrying ``link`` (their link for it): ``url``, ``width``,
    ``height``, ``media_type``, ``kind`` (``poster``; ``card`` when no QR code fits), drawn now if never
    drawn. None when the campaign has no channel that carries posters."""
    channel = poster_channel(campaign)
    if channel is None:
        return None
    version, _latest = current_version(session, writer, campaign)
    renderer = Renderer(product_snapshot(session, campaign, product, version.snapshot), store)
    slot = next((s for s in plan_slots(REGISTRY[channel].spec, True, renderer.photo_size) if s.poster), None)
    if slot is None:
        return None
    voice = SharerVoice(name=poster_name(sharer.name, sharer.display_name, sharer.source),
                        link=link_urls(public, link.code)["url"], code=sharer.code, avatar=sharer.avatar_key or "")
    renderer.load_known(session, [renderer.key(slot, voice)])
    image: Rendered = renderer.image(slot, voice)
    if renderer.fresh:
        with writer() as write:
            renderer.save(write)
            write.commit()
    return {"url": public_url(image.storage_key), "width": image.width, "height": image.height,
            "media_type": image.media_type, "kind": image.kind, "qr": image.kind == "poster"}
