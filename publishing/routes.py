"""/api/v1/campaigns: routes validate, call one service function, answer."""
from __future__ import annotations

from flask import Flask, current_app, request
from sqlalchemy import select

from catalog.campaigns import get_campaign
from catalog.landing import own_hosts
from catalog.models import Product
from catalog.products import campaign_products
from plumbing import database, redis_client
from plumbing.api import Blueprint, api
from plumbing.errors import ApiError
from publishing import channel_routes, cli, creative_routes, media, storage
from publishing.campaigns import campaign_json, create_campaign, image_json, list_campaigns, update_campaign
from publishing.images import MAX_BYTES, add_image
from publishing.models import CampaignImage
from publishing.posts import campaign_posts
from publishing.product_posters import product_poster
from publishing.publications import campaign_publications
from publishing.schemas import (
    IMAGE_ROLES,
    CampaignIn,
    CampaignList,
    CampaignListQuery,
    CampaignOut,
    CampaignPatch,
    ImageIn,
    ImageOut,
    PostsOut,
    PostsQuery,
    ProductPosterOut,
    ProductPosterQuery,
)
from referrals import linkcache
from referrals.links import link_for, link_view
from referrals.sharers import get_sharer
from workspaces.auth import current, requires

bp = Blueprint("campaigns", __name__, url_prefix="/api/v1/campaigns", description="Campaigns")

# Columns the redirect reads: changing one must reach every process's link cache.
REDIRECT_COLUMNS = {"landing_url", "ends_at"}


def init_app(app: Flask) -> None:
    """Wire the rest of publishing: media storage and serving, the channel list, the CLI."""
    storage.init_app(app)
    app.register_blueprint(media.bp)
    api.register_blueprint(channel_routes.bp)
    api.register_blueprint(creative_routes.bp)
    cli.init_app(app)


def _images(session, campaign_id: int) -> list[CampaignImage]:
    return list(session.scalars(select(CampaignImage).where(CampaignImage.campaign_id == campaign_id)
                                .order_by(CampaignImage.id)))


def campaign_view(session, campaign) -> dict:
    """The campaign with its images and publications (the GET shape)."""
    return campaign_json(campaign, _images(session, campaign.id),
                         campaign_publications(session, campaign.id, campaign.workspace_id),
                         [p.id for p in campaign_products(session, campaign.id)])


@bp.post("")
@requires("owner", "marketer")
@bp.arguments(CampaignIn)
@bp.response(201, CampaignOut)
def create(data: dict):
    """Create a campaign (draft until scheduled).

    :raise 422: invalid fields, listed in ``error.fields``.
    """
    session = database.session()
    campaign = create_campaign(session, current().workspace_id, data, own_hosts(),
                               current_app.config["ALLOW_PRIVATE_TARGETS"])
    session.commit()
    return campaign_view(session, campaign)


@bp.get("")
@requires("any", "server")
@bp.arguments(CampaignListQuery, location="query")
@bp.response(200, CampaignList)
def index(query: dict):
    """The workspace's campaigns, newest first, a page at a time; ``status`` filters.

    :raise 422: a bad status, limit or cursor.
    """
    return list_campaigns(database.session(), current().workspace_id, query["status"], query["cursor"], query["limit"])


@bp.get("/<int(min=1, max=2147483647):campaign_id>")
@requires("any", "server")
@bp.response(200, CampaignOut)
def read(campaign_id: int):
    """A campaign with its status and publications. :raise 404: not in this workspace."""
    session = database.session()
    campaign = get_campaign(session, current().workspace_id, campaign_id)
    return campaign_view(session, campaign)


@bp.patch("/<int(min=1, max=2147483647):campaign_id>")
@requires("owner", "marketer")
@bp.arguments(CampaignPatch(partial=True))
@bp.response(200, CampaignOut)
def update(changes: dict, campaign_id: int):
    """Edit a campaign; a change to what posts show makes a new ``content_version``
    (posts grabbed earlier keep theirs).

    :raise 404: not in this workspace. :raise 422: invalid fields; nothing changes.
    """
    session = database.session()
    campaign = get_campaign(session, current().workspace_id, campaign_id)
    changed = update_campaign(session, campaign, changes, own_hosts(), current_app.config["ALLOW_PRIVATE_TARGETS"])
    session.commit()
    if changed & REDIRECT_COLUMNS:
        linkcache.invalidate(redis_client.connection())
    return campaign_view(session, campaign)


@bp.post("/<int(min=1, max=2147483647):campaign_id>/images")
@requires("owner", "marketer")
@bp.arguments(ImageIn, location="files")
@bp.response(201, ImageOut)
def upload_image(files: dict, campaign_id: int):
    """Upload a product photo (or, with ``role=logo``, the brand's logo): PNG, JPEG or WebP.

    :raise 404: not in this workspace. :raise 413: too many bytes.
    :raise 415: not PNG, JPEG or WebP. :raise 422: too many pixels, corrupt, too many images.
    """
    role = request.form.get("role", "product")
    if role not in IMAGE_ROLES:
        raise ApiError(422, "validation_error", "The request has invalid fields.",
                       {"role": f"one of {', '.join(IMAGE_ROLES)}"})
    session = database.session()
    campaign = get_campaign(session, current().workspace_id, campaign_id)
    data = files["file"].read(MAX_BYTES + 1)
    image = add_image(session, storage.storage(), campaign, data, role)
    session.commit()
    return {**image_json(image), "content_version": campaign.content_version}


@bp.get("/<int(min=1, max=2147483647):campaign_id>/posts")
@requires("any")
@bp.arguments(PostsQuery, location="query")
@bp.response(200, PostsOut)
def posts(query: dict, campaign_id: int):
    """The rendered post for each channel; with ``sharer_id`` in that sharer's voice,
    with their link, code word and personal QR poster. ``version`` asks for an
    earlier content version (what a post grabbed then showed). A seller key
    sees its own sharer's posts when ``sharer_id`` is left out.

    :raise 403: a seller asking for another sharer. :raise 404: unknown campaign,
        sharer or version. :raise 422: a channel the campaign does not use.
    """
    me = current()
    sharer_id = query["sharer_id"]
    if me.role == "seller":
        sharer_id = sharer_id or me.sharer_id
    if sharer_id:
        me.check_acts_for(sharer_id)
    session = database.session()
    campaign = get_campaign(session, me.workspace_id, campaign_id)
    sharer = get_sharer(session, me.workspace_id, sharer_id) if sharer_id else None
    if query["channel"] and query["channel"] not in campaign.channels:
        raise ApiError(422, "validation_error", "The campaign is not published on this channel.",
                       {"channel": f"one of {', '.join(campaign.channels)}"})
    return campaign_posts(session, database.new_session, storage.storage(), campaign,
                          current_app.config["PUBLIC_URL"], sharer, query["version"], query["channel"])


@bp.get("/<int(min=1, max=2147483647):campaign_id>/products/<int(min=1, max=2147483647):product_id>/poster")
@requires("owner", "marketer", "seller")
@bp.arguments(ProductPosterQuery, location="query")
@bp.response(200, ProductPosterOut)
def product_poster_of(query: dict, campaign_id: int, product_id: int):
    """A sharer's poster for one product the campaign promotes (their pick in the seller's shop): the
    product's photo, name and brand price, and the QR code of the sharer's own link for the product
    (made if missing, as ``POST /links`` with ``product_id`` does). Drawn on first request, then served
    from the cache. A seller key gets its own sharer's poster when ``sharer_id`` is left out.

    :raise 403: a seller asking for another sharer. :raise 404: unknown campaign or sharer.
    :raise 422: no ``sharer_id`` (owner and marketer keys), or a product the campaign does not promote.
    """
    me = current()
    sharer_id = query["sharer_id"] or (me.sharer_id if me.role == "seller" else None)
    if sharer_id is None:
        raise ApiError(422, "validation_error", "Name the sharer whose poster this is.",
                       {"sharer_id": "required"})
    me.check_acts_for(sharer_id)
    session = database.session()
    link, _created = link_for(session, me.workspace_id, campaign_id, sharer_id, "", product_id)
    session.commit()
    campaign = get_campaign(session, me.workspace_id, campaign_id)
    sharer = get_sharer(session, me.workspace_id, sharer_id)
    product = session.get(Product, product_id)
    public = current_app.config["PUBLIC_URL"]
    poster = product_poster(session, database.new_session, storage.storage(), campaign, product, sharer, link, public)
    return {"campaign_id": campaign.id, "product_id": product.id, "sharer_id": sharer.id,
            "link": link_view(public, link), "poster": poster}
