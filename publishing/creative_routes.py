"""``GET /api/v1/campaigns/{id}/stats/creatives``: which post sold (see publishing/creatives.py)."""
from __future__ import annotations

from marshmallow import Schema, fields

from catalog.campaigns import get_campaign
from plumbing import database
from plumbing.api import Blueprint
from publishing.creatives import creative_breakdown
from referrals.report_routes import CAMPAIGN, range_hours
from referrals.report_schemas import ClickRangeQuery
from workspaces.auth import current, requires

bp = Blueprint("creatives", __name__, url_prefix="/api/v1", description="Creative-level attribution")


class CreativeOut(Schema):
    channel = fields.String(allow_none=True, metadata={"description": "null: a link for no channel"})
    content_version = fields.Integer(allow_none=True, metadata={
        "description": "the content version the post was drawn from; null: clicks without a creative tag "
                       "(links shared bare, or before tags) and sales not credited through such a click"})
    look = fields.String(allow_none=True, metadata={"description": "the poster's design at that version"})
    clicks = fields.Integer()
    unique_clicks = fields.Integer()
    orders = fields.Integer(metadata={"description": "sales that count (credited, not self-referred, not "
                                                     "wholly refunded)"})
    net_amount = fields.String(metadata={"description": "their amount less refunds, in the campaign's currency"})


class CreativeBreakdownOut(Schema):
    campaign_id = fields.Integer()
    currency = fields.String()
    start = fields.DateTime(data_key="from", allow_none=True)
    end = fields.DateTime(data_key="to", allow_none=True)
    items = fields.List(fields.Nested(CreativeOut))


@bp.get(f"{CAMPAIGN}/stats/creatives")
@requires("owner", "marketer")
@bp.arguments(ClickRangeQuery, location="query")
@bp.response(200, CreativeBreakdownOut)
def creatives(query: dict, campaign_id: int):
    """Clicks, orders and net amount per content version × channel × look, most orders first; all time, or
    ``from``/``to`` (rounded out to whole UTC hours, for clicks and sales alike).

    :raise 404: not in this workspace. :raise 422: ``from`` not before ``to``.
    """
    session = database.session()
    campaign = get_campaign(session, current().workspace_id, campaign_id)
    start, end = range_hours(query)
    return {"campaign_id": campaign.id, "currency": campaign.currency, "start": start, "end": end,
            "items": creative_breakdown(session, campaign, start, end)}
