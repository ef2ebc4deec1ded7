"""The seller's shop (选品): pick catalogue products to share, and get the link and poster for each."""
from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from plumbing import database
from plumbing.database import utcnow
from plumbing.money import format_amount
from publishing.picks import catalogue, pick, unpick
from publishing.product_posters import poster_channel
from referrals.links import get_or_create_link
from referrals.models import Link
from web.seller.blueprint import bp
from web.seller.inputs import choice, required_id
from web.session import seller_required


@bp.get("/shop")
@seller_required
def shop():
    """My shop (the products picked, each with a way to their link and poster), then the products to pick from."""
    session = database.session()
    me = g.sharer
    rows = catalogue(session, me, utcnow())
    campaign_ids = [row["campaign"].id for row in rows if row["campaign"] is not None]
    # Each product's own link (it lands on the product's page), through the campaign sharing it now.
    links = {(link.campaign_id, link.product_id): link.id for link in session.scalars(
        select(Link).where(Link.sharer_id == me.id, Link.channel == "", Link.campaign_id.in_(campaign_ids),
                           Link.product_id.is_not(None)))}
    items = [{"id": row["product"].id, "name": row["product"].name, "sku": row["product"].sku,
              "price": format_amount(row["product"].price_minor, row["product"].currency),
              "currency": row["product"].currency, "campaign": row["campaign"], "picked": row["picked"],
              "link_id": links.get((row["campaign"].id, row["product"].id)) if row["campaign"] is not None else None,
              "poster": row["campaign"] is not None and poster_channel(row["campaign"]) is not None}
             for row in rows]
    return render_template("seller/shop.html", mine=[i for i in items if i["picked"]],
                           offer=[i for i in items if not i["picked"] and i["campaign"] is not None])


@bp.post("/shop")
@seller_required
def change_shop():
    """``action=pick`` adds a product (and makes the seller's own link for it, landing on the product's page,
    then shows it); ``remove`` takes it out.

    :raise 404: a product of another workspace. :raise 422: malformed fields, or a product no live campaign shares.
    """
    session = database.session()
    product_id = required_id(request.form.get("product_id"), "product_id")
    action = choice(request.form.get("action"), ("pick", "remove"), "action", required=True)
    if action == "remove":
        if unpick(session, g.sharer, product_id):
            flash(_("Taken out of your shop. Your link keeps working."))
        session.commit()
        return redirect(url_for("seller.shop"), 303)
    campaign, created = pick(session, g.sharer, product_id, utcnow())
    link, _made = get_or_create_link(session, g.sharer.workspace_id, campaign.id, g.sharer.id, "", product_id=product_id)
    session.commit()
    if created:
        flash(_("Added to your shop: here are your link and poster."))
    return redirect(url_for("seller.link", link_id=link.id), 303)
