"""/api/v1 reads for the marketer console: series, sharer boards, the CSV report, the sharer list."""
from __future__ import annotations

from datetime import datetime

from catalog.campaigns import get_campaign
from plumbing import database
from plumbing.api import Blueprint
from plumbing.csvexport import csv_response
from plumbing.pagination import PageQuery
from referrals.clickfacets import CSV_COLUMNS, click_breakdown, csv_rows, whole_hours
from referrals.contact_views import record_contact_views
from referrals.report_schemas import (
    ClickBreakdownOut,
    ClickRangeQuery,
    SeriesOut,
    SeriesQuery,
    SharerBoard,
    SharerList,
    SharerListQuery,
)
from referrals.reports import REPORT_COLUMNS, campaign_report, campaign_series, campaign_sharers, list_sharers
from workspaces.auth import current, requires

bp = Blueprint("reports", __name__, url_prefix="/api/v1", description="Reports for the marketer console")

CAMPAIGN = "/campaigns/<int(min=1, max=2147483647):campaign_id>"


def _campaign(campaign_id: int):
    return get_campaign(database.session(), current().workspace_id, campaign_id)


@bp.get(f"{CAMPAIGN}/stats/series")
@requires("owner", "marketer")
@bp.arguments(SeriesQuery, location="query")
@bp.response(200, SeriesOut)
def series(query: dict, campaign_id: int):
    """Clicks, unique clicks, orders and revenue per hour or per day (the workspace's days),
    zero-filled; by default the last 48 hours or 14 days.

    :raise 404: not in this workspace. :raise 422: a channel the campaign does not use,
        ``from`` not before ``to``, more than 2208 buckets.
    """
    return campaign_series(database.session(), _campaign(campaign_id), query["granularity"], query["start"],
                           query["end"], query["channel"])


def range_hours(query: dict) -> tuple[datetime | None, datetime | None]:
    """``from``/``to`` rounded out to whole UTC hours. :raise ApiError 422: ``from`` not before ``to``."""
    return whole_hours(query["start"], query["end"])


@bp.get(f"{CAMPAIGN}/stats/clicks")
@requires("owner", "marketer")
@bp.arguments(ClickRangeQuery, location="query")
@bp.response(200, ClickBreakdownOut)
def click_facets(query: dict, campaign_id: int):
    """Human clicks by device class, browser, operating system and referring site (from each click's user
    agent and referrer), most first; all time, or ``from``/``to``.

    :raise 404: not in this workspace. :raise 422: ``from`` not before ``to``.
    """
    campaign = _campaign(campaign_id)
    start, end = range_hours(query)
    return {"campaign_id": campaign.id, "start": start, "end": end,
            **click_breakdown(database.session(), campaign.id, start, end)}


@bp.get(f"{CAMPAIGN}/clicks.csv")
@requires("owner", "marketer")
@bp.arguments(ClickRangeQuery, location="query")
@bp.response(200, {"type": "string"}, content_type="text/csv",
             description="UTF-8 with a BOM; one row per facet and value")
def click_facets_csv(query: dict, campaign_id: int):
    """The click breakdown as a CSV download: facet, value, clicks, unique clicks; ``from``/``to`` as above.

    :raise 404: not in this workspace. :raise 422: ``from`` not before ``to``.
    """
    campaign = _campaign(campaign_id)
    start, end = range_hours(query)
    figures = click_breakdown(database.session(), campaign.id, start, end)
    return csv_response(f"campaign-{campaign.id}-clicks.csv", CSV_COLUMNS, csv_rows(figures))


@bp.get(f"{CAMPAIGN}/stats/sharers")
@requires("owner", "marketer")
@bp.arguments(PageQuery, location="query")
@bp.response(200, SharerBoard)
def sharers(query: dict, campaign_id: int):
    """The campaign's sharers by revenue, then clicks: clicks, orders, revenue, commission.

    :raise 404: not in this workspace. :raise 422: a bad limit or cursor.
    """
    return campaign_sharers(database.session(), _campaign(campaign_id), query["cursor"], query["limit"])


@bp.get(f"{CAMPAIGN}/report.csv")
@requires("owner", "marketer")
@bp.response(200, {"type": "string"}, content_type="text/csv",
             description="UTF-8 with a BOM; one row per sharer and channel")
def report(campaign_id: int):
    """The campaign's figures per sharer and channel as a spreadsheet-safe CSV download.

    :raise 404: not in this workspace.
    """
    campaign = _campaign(campaign_id)
    rows = campaign_report(database.session(), campaign)
    return csv_response(f"campaign-{campaign.id}-report.csv", REPORT_COLUMNS,
                        ([row[c] for c in REPORT_COLUMNS] for row in rows))


@bp.get("/sharers")
@requires("owner", "marketer")
@bp.arguments(SharerListQuery, location="query")
@bp.response(200, SharerList)
def index(query: dict):
    """The workspace's sharers, newest first; ``q`` finds a name, email or phone.

    A marketer key sees phone numbers and emails masked (``+86138****8000``, ``l***@example.com``);
    an owner key sees them in full, and each sharer so shown is recorded (a contact view).

    :raise 422: a bad q, limit or cursor.
    """
    principal = current()
    session = database.session()
    full = principal.role == "owner"
    page = list_sharers(session, principal.workspace_id, query["q"], query["cursor"], query["limit"], full_contact=full)
    if full:
        record_contact_views(session, principal.workspace_id, [item["id"] for item in page["items"]
                                                               if item["email"] or item["phone"]],
                             api_key_id=principal.key_id)
        session.commit()
    return page
