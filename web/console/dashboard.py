"""A campaign's dashboard: headline figures, clicks over time, the funnel by channel, top sharers, CSV."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel.dates import format_skeleton
from flask import g, render_template, request
from flask_babel import format_decimal, format_percent, get_locale
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from catalog.campaigns import get_campaign
from channels import REGISTRY
from plumbing import database
from plumbing.csvexport import csv_response
from plumbing.errors import ApiError
from publishing.creatives import creative_breakdown
from referrals.clickfacets import CSV_COLUMNS, click_breakdown, csv_rows
from referrals.models import Conversion
from referrals.reports import GRANULARITIES, REPORT_COLUMNS, campaign_report, campaign_series, campaign_sharers
from referrals.stats import campaign_stats, enrolling_sales
from web.console.blueprint import bp
from web.console.charts import Series, bar_chart
from web.console.forms import LOOK_CHOICES
from web.i18n import current_language
from web.session import staff_required

CAMPAIGN = "/campaigns/<int(min=1, max=2147483647):campaign_id>"
TOP_SHARERS = 10


def channel_label(channel: str | None) -> str:
    """A channel's name in the page's language; links made without a channel have none."""
    if not channel:
        return _("No channel")
    spec = REGISTRY[channel].spec if channel in REGISTRY else None
    if spec is None:
        return channel
    return spec.name_zh if current_language() == "zh_CN" else spec.name


def new_sharers_by_channel(session: Session, campaign_id: int) -> dict[str | None, int]:
    """Buyers enrolled as new sharers by the campaign's attributed sales not rejected in risk review,
    per channel of the sale (counted as ``campaign_stats`` counts ``new_sharers``)."""
    rows = session.execute(
        select(Conversion.channel, func.count())
        .where(Conversion.campaign_id == campaign_id, *enrolling_sales(), Conversion.new_sharer.is_(True))
        .group_by(Conversion.channel))
    return {channel or None: int(count) for channel, count in rows}


def ratio(part: int, whole: int) -> Decimal | None:
    """``part / whole`` exactly, or None when there is no whole to divide."""
    return Decimal(part) / Decimal(whole) if whole else None


def funnel(stats: dict, new_by_channel: dict[str | None, int]) -> dict:
    """The funnel clicks → orders → revenue → new sharers, overall and for each channel.

    Rates are exact Decimals (None where the step before is zero): ``order_rate``
    orders per click, ``enroll_rate`` new sharers per order.
    """
    def row(figures: dict, new: int) -> dict:
        return {"channel": figures.get("channel"), "clicks": figures["clicks"],
                "unique_clicks": figures["unique_clicks"], "orders": figures["orders"],
                "revenue": figures["revenue"], "new_sharers": new,
                "order_rate": ratio(figures["orders"], figures["clicks"]),
                "enroll_rate": ratio(new, figures["orders"])}

    return {"total": row(stats, stats["new_sharers"]),
            "channels": [row(c, new_by_channel.get(c["channel"], 0)) for c in stats["by_channel"]]}


def percent(value: Decimal | None) -> str:
    return "—" if value is None else format_percent(value, "#,##0.0%")


def _bucket_labels(items: list[dict], granularity: str, zone: str) -> tuple[list[str], list[str]]:
    """Short axis labels and full labels (table rows, tooltips) of the series' buckets."""
    tz, locale = ZoneInfo(zone), get_locale()
    starts = [datetime.fromisoformat(item["start"]) for item in items]
    if granularity == "hour":
        short = [format_skeleton("Hm", s, tzinfo=tz, locale=locale) for s in starts]
        full = [f'{format_skeleton("MMMd", s, tzinfo=tz, locale=locale)} {hm}' for s, hm in zip(starts, short)]
    else:
        short = [format_skeleton("Md", s, tzinfo=tz, locale=locale) for s in starts]
        full = [format_skeleton("yMMMEd", s, tzinfo=tz, locale=locale) for s in starts]
    return short, full


def clicks_chart(series: dict) -> dict:
    """The chart of a ``campaign_series`` answer, its labels for the table, and whether it is empty."""
    items = series["items"]
    short, full = _bucket_labels(items, series["granularity"], series["timezone"])
    clicks = [item["clicks"] for item in items]
    unique = [item["unique_clicks"] for item in items]
    by = _("by hour") if series["granularity"] == "hour" else _("by day")
    svg = bar_chart(
        short, [Series(_("Clicks"), clicks, "bar-clicks"), Series(_("Unique clicks"), unique, "bar-unique")],
        title=_("Clicks %(by)s", by=by),
        description=_("%(clicks)s clicks and %(unique)s unique clicks from %(start)s to %(end)s.",
                      clicks=sum(clicks), unique=sum(unique), start=full[0], end=full[-1]) if items else "",
        chart_id="clicks-chart", tooltips=full, number=lambda n: format_decimal(n))
    return {"svg": svg, "rows": list(zip(full, items)), "empty": not any(clicks)}


@bp.get(f"{CAMPAIGN}/dashboard")
@staff_required()
def campaign_dashboard(campaign_id: int):
    """The campaign's figures. ``?granularity=day|hour`` sets the chart's buckets.

    :raise 404: no such campaign in this workspace. :raise 422: another granularity.
    """
    granularity = request.args.get("granularity", "day")
    if granularity not in GRANULARITIES:
        raise ApiError(422, "validation_error", _("Show clicks by day or by hour."), {"granularity": "day or hour"})
    session = database.session()
    campaign = get_campaign(session, g.key.workspace_id, campaign_id)
    stats = campaign_stats(session, campaign)
    series = campaign_series(session, campaign, granularity)
    start, end = datetime.fromisoformat(series["from"]), datetime.fromisoformat(series["to"])
    return render_template(
        "console/dashboard.html", campaign=campaign, stats=stats, granularity=granularity,
        facets=click_breakdown(session, campaign.id, start, end), facet_names=facet_names(),
        creatives=creative_breakdown(session, campaign, start, end),
        look_names={choice.value: str(choice.label) for choice in LOOK_CHOICES},
        funnel=funnel(stats, new_sharers_by_channel(session, campaign.id)), chart=clicks_chart(series),
        series=series, top=campaign_sharers(session, campaign, limit=TOP_SHARERS)["items"],
        channel_label=channel_label, percent=percent)


def facet_names() -> dict:
    return {"device": _("Device"), "browser": _("Browser"), "os": _("Operating system"),
            "referrer": _("Referring site"), "country": _("Country")}


@bp.get(f"{CAMPAIGN}/clicks.csv")
@staff_required()
def campaign_clicks_csv(campaign_id: int):
    """Clicks by device, browser, system and referring site, the API's CSV; ``?from=``/``?to=`` as ISO dates
    with offset. :raise 404: not ours. :raise 422: a date that is not one, or ``from`` not before ``to``."""
    session = database.session()
    campaign = get_campaign(session, g.key.workspace_id, campaign_id)
    bounds = []
    for key in ("from", "to"):
        raw = request.args.get(key, "")
        try:
            when = datetime.fromisoformat(raw) if raw else None
        except ValueError:
            when = None
        if (raw and when is None) or (when is not None and when.tzinfo is None):
            raise ApiError(422, "validation_error", _("Give a date and time with its offset."), {key: "ISO-8601"})
        bounds.append(when)
    if None not in bounds and bounds[0] >= bounds[1]:
        raise ApiError(422, "validation_error", _("The start must be before the end."), {"from": "before to"})
    figures = click_breakdown(session, campaign.id, *bounds)
    return csv_response(f"campaign-{campaign.id}-clicks.csv", CSV_COLUMNS, csv_rows(figures))


@bp.get(f"{CAMPAIGN}/report.csv")
@staff_required()
def campaign_report_csv(campaign_id: int):
    """The campaign's figures per sharer and channel, the same CSV as the API's. :raise 404: not ours."""
    session = database.session()
    campaign = get_campaign(session, g.key.workspace_id, campaign_id)
    rows = campaign_report(session, campaign)
    return csv_response(f"campaign-{campaign.id}-report.csv", REPORT_COLUMNS,
                        ([row[c] for c in REPORT_COLUMNS] for row in rows))
