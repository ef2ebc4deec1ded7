"""/api/v1 referral resources: sharers, links, conversions, earnings, stats (money views: money_routes)."""
from __future__ import annotations

from flask import current_app, jsonify
from marshmallow import Schema, fields, validate

from catalog.campaigns import get_campaign
from plumbing import database, redis_client
from plumbing.api import ID, Blueprint, ErrorSchema
from plumbing.database import utcnow
from plumbing.errors import ApiError, error_body
from plumbing.fields import InputSchema
from referrals import clickwriter, ledger, linkcache
from referrals.clickfacets import whole_hours
from referrals.conversions import record_conversion
from referrals.links import link_for, link_view
from referrals.report_schemas import ClickRangeQuery
from referrals.schemas import (
    ConversionIn,
    ConversionOut,
    EarningsOut,
    EarningsQuery,
    LinkIn,
    LinkOut,
    LinksBulkIn,
    LinksBulkOut,
    SharerIn,
    SharerOut,
    StatsOut,
)
from referrals.sharers import create_sharer
from referrals.stats import campaign_stats
from referrals.suspension import reinstate, suspend
from workspaces.auth import current, requires
from workspaces.keys import issue_key

bp = Blueprint("referrals", __name__, url_prefix="/api/v1", description="Sharers, links, conversions")


def _public_url() -> str:
    return current_app.config["PUBLIC_URL"]


@bp.post("/sharers")
@requires("owner", "marketer")
@bp.arguments(SharerIn)
@bp.response(201, SharerOut)
def create(data: dict):
    """Add a sharer (a seller); answers a seller API key bound to them, shown once.

    :raise 409: external_id taken. :raise 422: bad email, phone or inviter.
    """
    session = database.session()
    sharer = create_sharer(session, current().workspace_id, **data)
    key = issue_key(session, current().workspace_id, "seller", sharer.id)
    session.commit()
    return {"id": sharer.id, "name": sharer.name, "code": sharer.code, "invited_by": sharer.invited_by,
            "api_key": key}


@bp.post("/links")
@requires("owner", "marketer", "seller")
@bp.arguments(LinkIn)
@bp.response(201, LinkOut)
@bp.alt_response(200, schema=LinkOut, description="the triple already had a link")
def create_link(data: dict):
    """The tracked link of (campaign, sharer, channel), or with ``product_id`` the seller's own link
    for one product the campaign promotes (it lands on the product's page); 200 when it already existed.

    :raise 403: a seller asking for someone else. :raise 404: unknown campaign or sharer.
    :raise 422: a channel the campaign does not use, or a product it does not promote.
    """
    me = current()
    me.check_acts_for(data["sharer_id"])
    session = database.session()
    link, created = link_for(session, me.workspace_id, data["campaign_id"], data["sharer_id"], data.get("channel"),
                             data.get("product_id"))
    session.commit()
    return link_view(_public_url(), link), 201 if created else 200


@bp.post("/links/bulk")
@requires("owner", "marketer")
@bp.arguments(LinksBulkIn)
@bp.response(200, LinksBulkOut)
def create_links(data: dict):
    """Up to 1,000 links at once, each like ``POST /links`` (idempotent per triple); one result
    per row, in order: ``status`` ``created``/``existing`` with the link, or ``failed`` with the error.
    A failing row never stops the others.

    :raise 422: no rows, more than 1,000, or a malformed row.
    """
    session = database.session()
    results = []
    for row in data["links"]:
        try:
            with session.begin_nested():
                link, created = link_for(session, current().workspace_id, row["campaign_id"], row["sharer_id"],
                                         row.get("channel"), row.get("product_id"))
        except ApiError as exc:
            results.append({"status": "failed", **error_body(exc.code, exc.message, exc.fields)})
            continue
        results.append({"status": "created" if created else "existing", **link_view(_public_url(), link)})
    session.commit()
    return {"items": results}


@bp.post("/conversions")
@requires("owner", "server")
@bp.arguments(ConversionIn())  # an instance: webargs makes one per request from a class (fields deep-copied)
@bp.alt_response(201, schema=ConversionOut, description="recorded")
@bp.alt_response(200, schema=ConversionOut, description="an identical replay: the first answer, unchanged")
@bp.alt_response(409, schema=ErrorSchema, description="the order was recorded with different content")
def conversions(data: dict):
    """Record a sale or refund, once per (type, order_id[, refund_id])."""
    if data.get("click_id"):
        # The click may still wait in the buffer; write it before our transaction begins.
        clickwriter.writer_for(current_app._get_current_object()).write_now(data["click_id"])
    session = database.session()
    outcome = record_conversion(session, current().workspace_id, data, _public_url())
    session.commit()
    return jsonify(outcome.body), outcome.status


@bp.get("/sharers/<int(min=1, max=2147483647):sharer_id>/earnings")
@requires("owner", "marketer", "seller")
@bp.arguments(EarningsQuery, location="query")
@bp.response(200, EarningsOut)
def earnings(query: dict, sharer_id: int):
    """A sharer's money by state. :raise 403: another seller's. :raise 404: unknown sharer."""
    current().check_acts_for(sharer_id)
    with database.single_read() as connection:  # one statement: no transaction to begin and end
        money = ledger.sharer_earnings(connection, current().workspace_id, sharer_id, query.get("currency"))
    if money is None:
        raise ApiError(404, "not_found", "No such sharer.")
    return money


@bp.get("/campaigns/<int(min=1, max=2147483647):campaign_id>/stats")
@requires("owner", "marketer")
@bp.arguments(ClickRangeQuery, location="query")
@bp.response(200, StatsOut)
def stats(query: dict, campaign_id: int):
    """Clicks, unique clicks, orders, revenue, commissions, new sharers, by channel; all time, or
    ``from``/``to`` as the series takes them (rounded out to whole UTC hours).

    :raise 404: not in this workspace. :raise 422: ``from`` not before ``to``, a date without offset.
    """
    session = database.session()
    campaign = get_campaign(session, current().workspace_id, campaign_id)
    return campaign_stats(session, campaign, *whole_hours(query["start"], query["end"]))


class SuspendIn(InputSchema):
    reason = fields.String(required=True, validate=validate.Length(1, 500))


class SuspensionOut(Schema):
    id = fields.Integer()
    suspended = fields.Boolean()
    suspended_at = fields.DateTime(allow_none=True)
    reason = fields.String(allow_none=True)


def _suspension(sharer) -> dict:
    return {"id": sharer.id, "suspended": sharer.suspended_at is not None, "suspended_at": sharer.suspended_at,
            "reason": sharer.suspension_reason}


@bp.post(f"/sharers/<{ID}:sharer_id>/suspend")
@requires("owner", "marketer")
@bp.arguments(SuspendIn)
@bp.response(200, SuspensionOut)
def suspend_sharer(data: dict, sharer_id: int):
    """Suspend a sharer: their links land buyers without crediting anyone, their sales are not
    attributed to them, and they are not paid. :raise 404: unknown. :raise 409: suspended already."""
    session = database.session()
    sharer = suspend(session, current().workspace_id, sharer_id, data["reason"].strip(), utcnow())
    session.commit()
    linkcache.invalidate(redis_client.connection())
    return _suspension(sharer)


@bp.post(f"/sharers/<{ID}:sharer_id>/reinstate")
@requires("owner", "marketer")
@bp.response(200, SuspensionOut)
def reinstate_sharer(sharer_id: int):
    """Lift a suspension: the links credit again. :raise 404: unknown. :raise 409: not suspended."""
    session = database.session()
    sharer = reinstate(session, current().workspace_id, sharer_id)
    session.commit()
    linkcache.invalidate(redis_client.connection())
    return _suspension(sharer)
