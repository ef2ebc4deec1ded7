"""Tracked links: one per (campaign, sharer, channel), with a short random code; and a seller's
link for one product of a campaign (from their shop), which lands on that product's page."""
from __future__ import annotations

import shortuuid
from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.campaigns import get_campaign
from catalog.models import CampaignProduct, Product
from plumbing import database
from plumbing.errors import ApiError
from referrals.models import Link
from referrals.sharers import get_sharer

# 8 characters of shortuuid's 57-letter alphabet: ~47 bits, far beyond
# enumeration, short enough to read off a poster.
CODE_LENGTH = 8
_codes = shortuuid.ShortUUID()


def get_or_create_link(session: Session, workspace_id: int, campaign_id: int, sharer_id: int,
                       channel: str = "", new_sharer: bool = False, product_id: int | None = None) -> tuple[Link, bool]:
    """The link for the triple (and ``product_id``: the product's own link), made if missing;
    returns (link, created). Safe under races. The caller checked the campaign promotes the product.

    ``new_sharer``: the sharer was made in this transaction, so has no link to look for.
    """
    def existing() -> Link | None:  # (built only when asked: a new sharer's sale never asks, and building costs)
        return session.scalar(select(Link).where(
            Link.campaign_id == campaign_id, Link.sharer_id == sharer_id, Link.channel == channel,
            Link.product_id == product_id if product_id is not None else Link.product_id.is_(None)))

    found = None if new_sharer else existing()
    if found:
        return found, False
    for _ in range(5):
        # One statement, no savepoint: a taken code or triple inserts nothing.
        link = database.insert_row(session, Link, dict(workspace_id=workspace_id, campaign_id=campaign_id,
                                                        sharer_id=sharer_id, channel=channel, product_id=product_id,
                                                        code=_codes.random(length=CODE_LENGTH)))
        if link is not None:
            return link, True
        found = existing()
        if found:  # a concurrent request made it first
            return found, False
    raise ApiError(503, "busy", "Could not allocate a link code; try again.")  # pragma: no cover


def unsaved_link(link_id: int, workspace_id: int, campaign_id: int, sharer_id: int, channel: str = "") -> Link:
    """A new sharer's link with ``link_id`` (drawn beforehand) and a new code, not yet inserted: for
    a statement that writes it with the sharer (a sale's new buyer, see ``ledger.book_new``)."""
    return Link(id=link_id, workspace_id=workspace_id, campaign_id=campaign_id, sharer_id=sharer_id,
                channel=channel, product_id=None, code=_codes.random(length=CODE_LENGTH))


def link_urls(public_url: str, code: str) -> dict[str, str]:
    """A link's public addresses (its share page is not one: see referrals/share_tokens.py)."""
    return {"code": code, "url": f"{public_url}/r/{code}", "qr_url": f"{public_url}/q/{code}.png"}


def link_for(session: Session, workspace_id: int, campaign_id: int, sharer_id: int,
             channel: str | None, product_id: int | None = None) -> tuple[Link, bool]:
    """The link of (campaign, sharer, channel[, product]) after checking each exists here; (link, created).

    :raise ApiError 404: unknown campaign or sharer. :raise ApiError 422: a channel the campaign
        does not use, or a product it does not promote (or archived).
    """
    campaign = get_campaign(session, workspace_id, campaign_id)
    get_sharer(session, workspace_id, sharer_id)
    channel = channel or ""
    if channel and channel not in campaign.channels:
        raise ApiError(422, "validation_error", "The campaign is not published on this channel.",
                       {"channel": f"one of {', '.join(campaign.channels)}"})
    if product_id is not None and not promotes(session, campaign.id, product_id):
        raise ApiError(422, "validation_error", "The campaign does not promote this product.",
                       {"product_id": "not a product of the campaign, or archived"})
    return get_or_create_link(session, workspace_id, campaign.id, sharer_id, channel, product_id=product_id)


def promotes(session: Session, campaign_id: int, product_id: int) -> bool:
    """Whether the campaign promotes the product and the brand has not archived it."""
    return session.scalar(select(CampaignProduct.product_id).join(Product, Product.id == CampaignProduct.product_id)
                          .where(CampaignProduct.campaign_id == campaign_id, CampaignProduct.product_id == product_id,
                                 Product.archived_at.is_(None))) is not None


def link_view(public_url: str, link: Link) -> dict:
    return {"id": link.id, **link_urls(public_url, link.code), "campaign_id": link.campaign_id,
            "sharer_id": link.sharer_id, "channel": link.channel or None, "product_id": link.product_id}
