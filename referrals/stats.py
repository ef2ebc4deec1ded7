"""Campaign stats from rollups and the conversions index; never a scan of clicks."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, case, exists, func, select
from sqlalchemy.orm import Session

from catalog.models import Campaign
from plumbing.money import format_amount
from referrals.models import ClickRollup, Commission, Conversion, RiskReview


def credited_sales() -> tuple:
    """Conditions for a sale credited to a sharer (attributed), whatever became of it: refunded,
    rejected in risk review or not. Only what happened to the money reads it (a campaign's
    ``refunds``); every figure of what was sold reads ``counted_sales``."""
    return (Conversion.type == "sale", Conversion.sharer_id.is_not(None), Conversion.attribution.not_like("none:%"))


def counted_sales() -> tuple:
    """Conditions for "an order that counts", the one definition behind every figure of orders
    and revenue (campaign stats in the API and the dashboard, its series, top sharers and CSV
    report, creatives, the leaderboard and its team totals, team contests and target bonuses):
    a sale credited to a sharer, not a self-referral, not wholly refunded, and not rejected in
    risk review. Its revenue is its amount less its refunds.

    A sale whose review is still open (or was released) counts: it may yet be approved, and
    only a person's (or the expiry's) rejection takes it out, from then on and everywhere at once.
    """
    return (*credited_sales(), Conversion.self_referral.is_(False), Conversion.refunded_minor < Conversion.amount_minor,
            not_rejected_in_review())


def not_rejected_in_review():
    """The condition that a sale was not rejected in risk review (no review, or one open or released):
    a rejected sale pays nothing and counts nowhere. Part of ``counted_sales``; an ``exists`` on the
    unique index of ``risk_reviews.conversion_id``, one probe per sale."""
    return ~exists().where(RiskReview.conversion_id == Conversion.id, RiskReview.status == "rejected")


def enrolling_sales() -> tuple:
    """Conditions for a sale whose enrolled buyer counts in a campaign's ``new_sharers``: credited to a
    sharer, refunded or not (the buyer was real and stays a sharer), but not rejected in risk review
    (a fraud order's buyer is no gain of the campaign)."""
    return (*credited_sales(), not_rejected_in_review())


def attributed_sales(campaign_id: int) -> tuple:
    """The orders that count (``counted_sales``) of one campaign."""
    return (Conversion.campaign_id == campaign_id, *counted_sales())


def campaign_stats(session: Session, campaign: Campaign, start: datetime | None = None,
                   end: datetime | None = None) -> dict:
    """The campaign's figures, all time or for clicks and sales in [start, end) (whole UTC hours,
    either end open: see ``clickfacets.whole_hours``); commissions and refunds follow their sale."""
    currency = campaign.currency
    hours, sales = [], []
    if start is not None:
        hours.append(ClickRollup.hour >= int(start.timestamp()) // 3600)
        sales.append(Conversion.occurred_at >= start)
    if end is not None:
        hours.append(ClickRollup.hour < int(end.timestamp()) // 3600)
        sales.append(Conversion.occurred_at < end)
    channels: dict[str, dict] = {}

    def row(channel: str) -> dict:
        return channels.setdefault(channel or "", {"channel": channel or None, "clicks": 0, "unique_clicks": 0,
                                                   "orders": 0, "revenue_minor": 0, "new_sharers": 0})

    for channel, clicks, unique in session.execute(
            select(ClickRollup.channel, func.sum(ClickRollup.clicks), func.sum(ClickRollup.unique_clicks))
            .where(ClickRollup.campaign_id == campaign.id, *hours).group_by(ClickRollup.channel)):  # channels × hours rows
        r = row(channel)
        r["clicks"], r["unique_clicks"] = int(clicks), int(unique)
    for channel, orders, kept in session.execute(
            select(Conversion.channel, func.count(), func.sum(Conversion.amount_minor - Conversion.refunded_minor))
            .where(*attributed_sales(campaign.id), *sales).group_by(Conversion.channel)):
        r = row(channel or "")
        r["orders"] += int(orders)
        r["revenue_minor"] += int(kept)
    # Refunds are of every credited sale, counted or not; enrolled buyers of every one not rejected
    # in review (``enrolling_sales``), refunded or not.
    refunds_minor = 0
    for channel, refunded, enrolled in session.execute(
            select(Conversion.channel, func.sum(Conversion.refunded_minor),
                   func.sum(case((and_(Conversion.new_sharer.is_(True), not_rejected_in_review()), 1), else_=0)))
            .where(Conversion.campaign_id == campaign.id, *credited_sales(), *sales).group_by(Conversion.channel)):
        row(channel or "")["new_sharers"] += int(enrolled)
        refunds_minor += int(refunded)
    commission_q = (select(func.coalesce(func.sum(Commission.amount_minor - Commission.reversed_minor), 0))
                    .where(Commission.campaign_id == campaign.id))
    if sales:
        commission_q = commission_q.join(Conversion, Conversion.id == Commission.conversion_id).where(*sales)
    commission = session.scalar(commission_q)
    by_channel = []
    for r in sorted(channels.values(), key=lambda r: (r["channel"] is None, r["channel"] or "")):
        by_channel.append({**{k: v for k, v in r.items() if k != "revenue_minor"},
                           "revenue": format_amount(r["revenue_minor"], currency)})
    return {
        "campaign_id": campaign.id, "currency": currency, "from": start, "to": end,
        "clicks": sum(r["clicks"] for r in channels.values()),
        "unique_clicks": sum(r["unique_clicks"] for r in channels.values()),
        "orders": sum(r["orders"] for r in channels.values()),
        "revenue": format_amount(sum(r["revenue_minor"] for r in channels.values()), currency),
        "refunds": format_amount(refunds_minor, currency),
        "commission_total": format_amount(int(commission), currency),
        "new_sharers": sum(r["new_sharers"] for r in channels.values()),
        "by_channel": by_channel,
    }
