"""A seller's shop (选品): the catalogue products they picked, each shared through a live campaign promoting it.

A product can be picked while a campaign now in the sellers' library promotes
it; the seller's link for it is their own link for that product in that campaign
(``Link.product_id``: it lands on the product's page), through the newest such
campaign, so a product in several is shared through the latest. A product the brand archives, or no live campaign
promotes any more, stays picked but shows as not shareable now.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from catalog.models import Campaign, CampaignProduct, Product
from plumbing.errors import ApiError
from publishing.library import library_publications
from publishing.models import SellerPick
from referrals.models import Sharer


def shareable(session: Session, workspace_id: int, now: datetime) -> dict[int, Campaign]:
    """Each catalogue product a live library campaign promotes, with the newest such campaign."""
    campaigns = {campaign.id: campaign for _state, _pub, campaign
                 in library_publications(session, workspace_id, now, state="live")}
    if not campaigns:
        return {}
    found: dict[int, Campaign] = {}
    rows = session.execute(select(CampaignProduct.product_id, CampaignProduct.campaign_id)
                           .where(CampaignProduct.campaign_id.in_(list(campaigns)))
                           .order_by(CampaignProduct.campaign_id.desc()))
    for product_id, campaign_id in rows:
        found.setdefault(product_id, campaigns[campaign_id])
    return found


def catalogue(session: Session, sharer: Sharer, now: datetime) -> list[dict]:
    """Every product the seller may pick or has picked: ``product``, ``campaign`` (None: not shareable now), ``picked``."""
    offer = shareable(session, sharer.workspace_id, now)
    picked = set(session.scalars(select(SellerPick.product_id).where(SellerPick.sharer_id == sharer.id)))
    wanted = set(offer) | picked
    if not wanted:
        return []
    products = session.scalars(select(Product).where(Product.workspace_id == sharer.workspace_id,
                                                     Product.id.in_(wanted)).order_by(Product.name, Product.id))
    return [{"product": p, "campaign": offer.get(p.id) if p.archived_at is None else None, "picked": p.id in picked}
            for p in products]


def pick(session: Session, sharer: Sharer, product_id: int, now: datetime) -> tuple[Campaign, bool]:
    """Add the product to the seller's shop; ``(campaign it is shared through, newly picked?)``. Flushes.

    :raise ApiError 404: no such product in the workspace.
    :raise ApiError 422 not_shareable: archived, or no live campaign promotes it.
    """
    product = session.scalar(select(Product).where(Product.id == product_id,
                                                   Product.workspace_id == sharer.workspace_id))
    if product is None:
        raise ApiError(404, "not_found", "No such product.")
    campaign = shareable(session, sharer.workspace_id, now).get(product.id) if product.archived_at is None else None
    if campaign is None:
        raise ApiError(422, "not_shareable", "No campaign shares this product now.",
                       {"product_id": "not promoted by a live campaign"})
    if session.get(SellerPick, (sharer.id, product.id)) is not None:
        return campaign, False
    session.add(SellerPick(sharer_id=sharer.id, product_id=product.id, workspace_id=sharer.workspace_id))
    session.flush()
    return campaign, True


def unpick(session: Session, sharer: Sharer, product_id: int) -> bool:
    """Take the product out of the seller's shop; whether it was there. Their link keeps working."""
    result = session.execute(delete(SellerPick).where(SellerPick.sharer_id == sharer.id,
                                                      SellerPick.product_id == product_id))
    return bool(result.rowcount)
