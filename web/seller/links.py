"""The seller's links: one per campaign and channel, with its QR code, made on demand."""
from __future__ import annotations

from flask import current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from catalog.campaigns import get_campaign
from catalog.models import Product
from plumbing import database
from plumbing.database import utcnow
from plumbing.errors import ApiError
from publishing import storage
from publishing.library import in_library, library_channels, library_publications
from publishing.product_posters import product_poster
from referrals.links import get_or_create_link, link_urls
from referrals.models import Link, LinkClickTotal
from web.seller.blueprint import bp
from web.seller.inputs import choice, required_id
from web.session import seller_required
from web.share import share_images
from web.share_cards import share_card, wechat_config, wechat_headers

ID = "int(min=1, max=2147483647)"


def _clicks(session, link_ids: list[int]) -> dict[int, int]:
    if not link_ids:
        return {}
    return dict(session.execute(select(LinkClickTotal.link_id, LinkClickTotal.clicks)
                                .where(LinkClickTotal.link_id.in_(link_ids))).all())


def _view(link: Link, clicks: dict[int, int]) -> dict:
    return {"id": link.id, "channel": link.channel, "clicks": clicks.get(link.id, 0), "disabled": link.disabled,
            **link_urls(current_app.config["PUBLIC_URL"], link.code)}


@bp.get("/links")
@seller_required
def links():
    """Each campaign the seller can share now or soon, with their link per channel (or a button to get one)."""
    session = database.session()
    me = g.sharer
    campaigns: dict[int, dict] = {}
    for _state, pub, campaign in library_publications(session, me.workspace_id, utcnow()):
        entry = campaigns.setdefault(campaign.id, {"id": campaign.id, "title": campaign.title, "channels": set()})
        entry["channels"].add(pub.channel)
    # (A product's own links are in the shop.)
    mine = list(session.scalars(select(Link).where(Link.workspace_id == me.workspace_id, Link.sharer_id == me.id,
                                                   Link.campaign_id.in_(list(campaigns)), Link.product_id.is_(None))))
    clicks = _clicks(session, [link.id for link in mine])
    by_key = {(link.campaign_id, link.channel): _view(link, clicks) for link in mine}
    order = library_channels()
    groups = []
    for campaign in campaigns.values():
        channels = sorted(campaign["channels"], key=order.index)
        if (campaign["id"], "") in by_key:
            channels.insert(0, "")  # the general link, e.g. a buyer's from their share page
        groups.append({**campaign, "rows": [(c, by_key.get((campaign["id"], c))) for c in channels]})
    return render_template("seller/links.html", groups=groups)


@bp.post("/links")
@seller_required
def get_link():
    """Make (or find) the seller's link for a campaign's channel, then show it.

    :raise 404: a campaign of another workspace. :raise 422: malformed fields, or a channel
        the campaign is not shared on.
    """
    session = database.session()
    campaign_id = required_id(request.form.get("campaign_id"), "campaign_id")
    channel = choice(request.form.get("channel"), library_channels(), "channel", required=True)
    campaign = get_campaign(session, g.key.workspace_id, campaign_id)
    if channel not in campaign.channels or not in_library(channel):
        raise ApiError(422, "validation_error", _("This campaign is not shared on that channel."),
                       {"channel": "not a channel of the campaign"})
    link, created = get_or_create_link(session, g.sharer.workspace_id, campaign.id, g.sharer.id, channel)
    session.commit()
    if created:
        flash(_("Your link is ready."))
    return redirect(url_for("seller.link", link_id=link.id), 303)


@bp.get(f"/links/<{ID}:link_id>")
@seller_required
def link(link_id: int):
    """One of the seller's links, its QR code large enough to be scanned from the screen.

    :raise 404: no such link of this seller (another seller's included).
    """
    session = database.session()
    found = session.scalar(select(Link).where(Link.id == link_id, Link.sharer_id == g.sharer.id,
                                              Link.workspace_id == g.sharer.workspace_id))
    if found is None:
        raise ApiError(404, "not_found", "No such link.")
    campaign = get_campaign(session, g.key.workspace_id, found.campaign_id)
    view = _view(found, _clicks(session, [found.id]))
    images = share_images(campaign, g.sharer)
    product = session.get(Product, found.product_id) if found.product_id is not None else None
    if product is not None:  # the product's own poster, carrying this link
        images["poster"] = _product_poster(session, campaign, product, found)
    card = share_card(campaign, view["url"], (images.get("card") or images.get("poster") or {}).get("url"))
    wx = wechat_config(g.sharer.workspace_id)
    return render_template("seller/link.html", link=view, campaign=campaign, card=card, wx=wx, product=product,
                           poster=images.get("poster")), 200, wechat_headers(wx)


def _product_poster(session, campaign, product: Product, link: Link) -> dict | None:
    return product_poster(session, database.new_session, storage.storage(), campaign, product, g.sharer, link,
                          current_app.config["PUBLIC_URL"])


@bp.get(f"/links/<{ID}:link_id>/poster")
@seller_required
def link_poster(link_id: int):
    """The poster of one of the seller's product links (drawn now if never drawn): a redirect to the image.

    :raise 404: no such product link of this seller, or the campaign has no channel that carries posters.
    """
    session = database.session()
    found = session.scalar(select(Link).where(Link.id == link_id, Link.sharer_id == g.sharer.id,
                                              Link.workspace_id == g.sharer.workspace_id,
                                              Link.product_id.is_not(None)))
    if found is None:
        raise ApiError(404, "not_found", "No such link.")
    campaign = get_campaign(session, g.key.workspace_id, found.campaign_id)
    poster = _product_poster(session, campaign, session.get(Product, found.product_id), found)
    if poster is None:
        raise ApiError(404, "not_found", "This campaign has no poster.")
    return redirect(poster["url"], 302)
