"""Today's posts: the seller's ready posts in their own voice, copied and saved in one tap each."""
from __future__ import annotations

from flask import current_app, g, render_template, request

from catalog.campaigns import get_campaign
from plumbing import database
from plumbing.database import utcnow
from publishing import storage
from publishing.library import library_channels, library_items, library_publications, record_grab
from web.seller.blueprint import bp
from web.seller.inputs import choice, optional_id, required_id
from web.session import seller_required
from web.share_cards import in_wechat
from web.wechat_sign_in import wechat_status


def pictures_then_poster(images: list[dict]) -> list[dict]:
    """A post's images as a seller saves them: the product's pictures in the channel's order, then the
    poster with the seller's code, on every channel (pure).

    The channels' own orders differ by accident of their sizes (Weibo's poster came first, Moments'
    second); a seller grabbing several channels expects one order, and the code last is both the
    custom of a Moments post and what Xiaohongshu requires of its first picture.
    """
    return sorted(images, key=lambda image: image["kind"] == "poster")


def _grouped(items: list[dict]) -> list[dict]:
    """Live posts by campaign (newest campaign first), each campaign's channels in library order."""
    campaigns: dict[int, dict] = {}
    for item in items:
        group = campaigns.setdefault(item["campaign_id"], {"id": item["campaign_id"], "title": item["campaign_title"],
                                                          "posts": []})
        group["posts"].append({**item, "images": pictures_then_poster(item["images"])})
    order = {c: i for i, c in enumerate(library_channels())}
    for group in campaigns.values():
        group["posts"].sort(key=lambda p: order.get(p["channel"], len(order)))
    return list(campaigns.values())


@bp.get("/")
@seller_required
def today():
    """Live posts grouped by campaign then channel, then what is coming; ``?channel=`` and
    ``?campaign=`` filter (a seller notice links here with both).

    :raise 404: a campaign of another workspace. :raise 422: a malformed or unknown filter.
    """
    session = database.session()
    channel = choice(request.args.get("channel"), library_channels(), "channel")
    campaign_id = optional_id(request.args.get("campaign"), "campaign")
    if campaign_id is not None:
        get_campaign(session, g.key.workspace_id, campaign_id)
    now = utcnow()
    every = library_publications(session, g.key.workspace_id, now, None, None, campaign_id)
    chosen = [e for e in every if channel in (None, e[1].channel)]
    live = [e for e in chosen if e[0] == "live"]
    items = library_items(session, database.new_session, storage.storage(), current_app.config["PUBLIC_URL"],
                          g.sharer, live)
    channels = sorted({pub.channel for _, pub, _ in every}, key=library_channels().index)
    upcoming = [(pub, campaign) for state, pub, campaign in chosen if state == "upcoming"]
    return render_template("seller/today.html", groups=_grouped(items), upcoming=upcoming, channels=channels,
                           channel=channel, campaign_id=campaign_id, wechat=wechat_status(g.sharer) if in_wechat() else None)


@bp.post("/grabs")
@seller_required
def grab():
    """Note that the seller copied a live post (the copy button reports here): 204.

    :raise 404: no live post of that campaign on that channel in the seller's workspace.
    :raise 422: malformed fields or a content version the campaign never had.
    """
    session = database.session()
    campaign_id = required_id(request.form.get("campaign_id"), "campaign_id")
    channel = choice(request.form.get("channel"), library_channels(), "channel", required=True)
    version = optional_id(request.form.get("content_version"), "content_version")
    record_grab(session, g.sharer, campaign_id, channel, version)
    session.commit()
    return "", 204
