"""Which post sold: clicks, sales and net amount per creative (content version × channel × look).

A seller's post carries its link with the content version it was drawn from
(``/r/<code>?v=<n>``, see :func:`publishing.posts.voices_for`); the redirect
passes the tag on untouched and the click writer keeps human clicks per
campaign, hour, channel and version in ``click_creative_hours``. A sale credited
through a click inherits the click's version (``conversions.content_version``).
The look (the poster's design) is the one that version was drawn with. Clicks
without a tag, or with one the campaign never had, are the version-less row.
"""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from catalog.models import Campaign
from plumbing.money import format_amount
from publishing.models import ContentVersion
from publishing.render.looks import DEFAULT_LOOK
from referrals.clickfacets import hour_range
from referrals.models import ClickCreativeHour, Conversion
from referrals.stats import attributed_sales


def creative_breakdown(session: Session, campaign: Campaign, start: datetime | None = None,
                       end: datetime | None = None) -> list[dict]:
    """One row per (channel, content version) with clicks or sales in [start, end): clicks from the hourly
    rows (rounded out to whole UTC hours, as :func:`referrals.clickfacets.hour_range`), orders that count and
    their net amount (less refunds) from the sales in the same hours; most orders, then clicks, first."""
    first, last = hour_range(start, end)
    where = [ClickCreativeHour.campaign_id == campaign.id]
    if first is not None:
        where.append(ClickCreativeHour.hour >= first)
    if last is not None:
        where.append(ClickCreativeHour.hour < last)
    cells: dict[tuple[str, int], dict] = {}

    def cell(channel: str | None, version: int | None) -> dict:
        key = (channel or "", version or 0)
        return cells.setdefault(key, {"channel": channel or None, "content_version": version or None,
                                      "clicks": 0, "unique_clicks": 0, "orders": 0, "net_minor": 0})

    for channel, version, clicks, unique in session.execute(
            select(ClickCreativeHour.channel, ClickCreativeHour.content_version, func.sum(ClickCreativeHour.clicks),
                   func.sum(ClickCreativeHour.unique_clicks))
            .where(*where).group_by(ClickCreativeHour.channel, ClickCreativeHour.content_version)):
        row = cell(channel, version)
        row["clicks"], row["unique_clicks"] = int(clicks), int(unique)
    sales = [*attributed_sales(campaign.id)]
    if first is not None:
        sales.append(Conversion.occurred_at >= datetime.fromtimestamp(first * 3600, timezone.utc))
    if last is not None:
        sales.append(Conversion.occurred_at < datetime.fromtimestamp(last * 3600, timezone.utc))
    for channel, version, orders, net in session.execute(
            select(Conversion.channel, Conversion.content_version, func.count(),
                   func.sum(Conversion.amount_minor - Conversion.refunded_minor))
            .where(*sales).group_by(Conversion.channel, Conversion.content_version)):
        row = cell(channel, version)
        row["orders"] += int(orders)
        row["net_minor"] += int(net)
    looks = _looks(session, campaign.id, {v for _, v in cells if v})
    out = []
    for row in sorted(cells.values(), key=lambda r: (-r["orders"], -r["net_minor"], -r["clicks"],
                                                     r["channel"] or "", r["content_version"] or 0)):
        version = row["content_version"]
        out.append({**{k: v for k, v in row.items() if k != "net_minor"},
                    "look": looks.get(version) if version else None,
                    "net_amount": format_amount(row["net_minor"], campaign.currency)})
    return out


def _looks(session: Session, campaign_id: int, numbers: set[int]) -> dict[int, str]:
    """The look each of the campaign's content versions was drawn with (versions before looks: the default)."""
    if not numbers:
        return {}
    return {number: (snapshot or {}).get("look", DEFAULT_LOOK) for number, snapshot in session.execute(
        select(ContentVersion.number, ContentVersion.snapshot).where(
            ContentVersion.campaign_id == campaign_id, ContentVersion.number.in_(numbers)))}
