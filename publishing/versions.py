"""Content versions: every edit of a campaign's master content, kept.

A version is a snapshot of everything a post is made from (text, prices,
brand, images by hash). Recording is idempotent: an edit that changes nothing
a post shows makes no new version. Renders are cached under the snapshot's
hashes, so a post grabbed at version N keeps rendering (and being served)
exactly as it was, whatever happened to the campaign since.
"""
from __future__ import annotations

import hashlib
import json
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.models import Campaign
from catalog.products import campaign_products
from channels.content import MasterContent, ProductLine
from plumbing.errors import ApiError
from plumbing.money import format_amount
from publishing.models import CampaignImage, ContentVersion, PosterTemplate
from workspaces.models import Workspace

# What a card shows. A change elsewhere (landing URL, call to action,
# channels) makes a new version but leaves the cards' cache keys alone.
CARD_FIELDS = ("title", "body", "price", "original_price", "currency", "brand_name", "brand_color", "language",
               "photos", "logo", "look", "badges")


def digest(value) -> str:
    """sha256 over canonical JSON: the same value always gives the same hex digest."""
    return hashlib.sha256(json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
                          .encode()).hexdigest()


def _image_json(image: CampaignImage) -> dict:
    out = {"id": image.id, "sha256": image.sha256, "storage_key": image.storage_key,
           "width": image.width, "height": image.height}
    if image.focus_x is not None:  # only when set: versions recorded before focus points keep their hash
        out["focus"] = [image.focus_x, image.focus_y]
    return out


def snapshot_of(session: Session, campaign: Campaign) -> dict:
    """Everything a post of ``campaign`` is made from, as JSON values."""
    images = session.scalars(select(CampaignImage).where(CampaignImage.campaign_id == campaign.id)
                             .order_by(CampaignImage.id)).all()
    logo = next((i for i in images if i.id == campaign.logo_image_id), None)
    workspace_name = session.scalar(select(Workspace.name).where(Workspace.id == campaign.workspace_id))
    snapshot = {
        "title": campaign.title, "body": campaign.body, "hashtags": list(campaign.hashtags),
        "price": campaign.price_text, "original_price": campaign.original_price_text,
        "currency": campaign.currency, "landing_url": campaign.landing_url, "channels": list(campaign.channels),
        "brand_name": campaign.brand_name, "brand_color": campaign.brand_color,
        "call_to_action": campaign.call_to_action, "language": campaign.language,
        "look": campaign.look, "badges": list(campaign.badges or []), "seller_opener": campaign.seller_opener,
        # Who a poster without a sharer is "recommended by".
        "publisher": campaign.brand_name or workspace_name or campaign.name,
        "photos": [_image_json(i) for i in images if i.role == "product"],
        "logo": _image_json(logo) if logo else None,
    }
    template = session.get(PosterTemplate, campaign.template_id) if campaign.template_id else None
    if template is not None:  # only then: versions without one keep their hashes
        # A copy, not the id: a post grabbed now draws this layout whatever the template becomes.
        snapshot["template"] = {"id": template.id, "layouts": template.layouts, "background": template.background_key}
    products = campaign_products(session, campaign.id)
    if len(products) >= 2:  # only then: a one-product campaign's versions and cards keep their hashes
        snapshot["products"] = [{"id": p.id, "name": p.name, "price": format_amount(p.price_minor, p.currency),
                                 "original_price": (format_amount(p.original_price_minor, p.currency)
                                                    if p.original_price_minor is not None else None)}
                                for p in products]
    return snapshot


def card_hash(snapshot: dict) -> str:
    """The digest of what cards show: the part of the cache key that content owns."""
    fields = {name: snapshot.get(name) for name in CARD_FIELDS}
    if snapshot.get("products"):  # absent before multi-product campaigns: older cards keep their keys
        fields["products"] = [{k: p[k] for k in ("name", "price", "original_price")} for p in snapshot["products"]]
    if snapshot.get("template"):  # likewise absent before brand templates
        fields["template"] = {k: snapshot["template"][k] for k in ("layouts", "background")}
    return digest(fields)


def master_content(snapshot: dict) -> MasterContent:
    """The snapshot as the plain values the pure composers and renderers take."""
    return MasterContent(
        title=snapshot["title"], body=snapshot["body"], price=Decimal(snapshot["price"]),
        currency=snapshot["currency"],
        original_price=Decimal(snapshot["original_price"]) if snapshot["original_price"] is not None else None,
        hashtags=tuple(snapshot["hashtags"]), brand_name=snapshot["brand_name"],
        brand_color=snapshot["brand_color"], call_to_action=snapshot["call_to_action"],
        landing_url=snapshot["landing_url"], language=snapshot["language"],
        # Versions recorded before looks existed are drawn as they were: clean, no badges.
        look=snapshot.get("look", "clean"), badges=tuple(snapshot.get("badges", ())),
        seller_opener=snapshot.get("seller_opener", ""),
        products=tuple(ProductLine(p["name"], Decimal(p["price"]),
                                   Decimal(p["original_price"]) if p["original_price"] is not None else None)
                       for p in snapshot.get("products", ())),
    )


def record_version(session: Session, campaign: Campaign) -> ContentVersion:
    """The version matching the campaign's content now, made if the content changed.

    Flushes but does not commit. The campaign row is locked and read again
    first (``FOR UPDATE`` on PostgreSQL; SQLite writers are serialised
    already), so two concurrent edits take consecutive numbers.
    """
    session.flush()
    session.refresh(campaign, with_for_update=True)
    snapshot = snapshot_of(session, campaign)
    content_hash = digest(snapshot)
    if campaign.content_version:
        current = get_version(session, campaign, campaign.content_version)
        if current.content_hash == content_hash:
            return current
    version = ContentVersion(campaign_id=campaign.id, number=campaign.content_version + 1,
                             content_hash=content_hash, snapshot=snapshot)
    session.add(version)
    campaign.content_version = version.number
    session.flush()
    return version


def get_version(session: Session, campaign: Campaign, number: int) -> ContentVersion:
    """:raise ApiError 404: the campaign has no such version."""
    version = session.scalar(select(ContentVersion).where(ContentVersion.campaign_id == campaign.id,
                                                          ContentVersion.number == number))
    if version is None:
        raise ApiError(404, "not_found", f"The campaign has no content version {number}.",
                       {"version": f"between 1 and {campaign.content_version}"})
    return version
