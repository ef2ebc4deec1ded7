"""The consumer-to-distributor funnel and the viral coefficient, read from the writers' rollups.

Buyers are customers with a purchase (a sale not refunded in full nor rejected in risk review, see
``customers.py``); each buyer the conversion writer enrolled is a sharer. A buyer *shared* when they took
a ready post or their link had a human click, or sold; they *sold* at their first attributed sale to
someone else that was not refunded in full nor rejected in review. The viral coefficient counts new buyers a buyer brought (their first purchase was
that buyer's sale), never people who merely joined: recruits are no measure here, paid or not.
"""
from __future__ import annotations

import statistics
from datetime import datetime, timezone
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from figures.customers import percent
from figures.sql import month_index, month_label
from publishing.models import Grab
from referrals.models import Application, CustomerSummary, LinkClickTotal, Sharer, SharerFirstSale

STAGES = ("bought", "enrolled", "shared", "sold")


def stage_times(first_at: datetime, enrolled_at: datetime | None, shared: list[datetime | None],
                sold_at: datetime | None) -> list[datetime | None]:
    """Pure: when a buyer reached each stage. A stage is reached no earlier than the one before (a seller
    who shared before they ever bought is a sharer from their first purchase on); None: not reached."""
    times: list[datetime | None] = [first_at]
    firsts = [t for t in (*shared, sold_at) if t is not None]
    for reached in (enrolled_at, min(firsts) if firsts else None, sold_at):
        times.append(None if reached is None or times[-1] is None else max(times[-1], reached))
    return times


def _seconds(a: datetime, b: datetime) -> int:
    return int(b.timestamp()) - int(a.timestamp())


def funnel(session: Session, workspace_id: int, *, first_from: datetime | None = None,
           first_to: datetime | None = None, campaign_id: int | None = None) -> dict:
    """Buyers (by first purchase in [first_from, first_to), in ``campaign_id`` when given) and how many
    enrolled, shared and sold, with the median whole seconds each stage took after the one before.

    One statement over the customer summaries (each buyer's first share and first sale are indexed
    look-ups in the writers' rollups), and one for the buyers still waiting for approval.
    """
    chosen = [CustomerSummary.workspace_id == workspace_id]
    if first_from is not None:
        chosen.append(CustomerSummary.first_at >= first_from)
    if first_to is not None:
        chosen.append(CustomerSummary.first_at < first_to)
    if campaign_id is not None:
        chosen.append(CustomerSummary.first_campaign_id == campaign_id)
    buyer = CustomerSummary.customer_sharer_id
    first_click = (select(func.min(LinkClickTotal.first_click_at))
                   .where(LinkClickTotal.sharer_id == buyer, LinkClickTotal.workspace_id == workspace_id)
                   .scalar_subquery())
    first_grab = (select(func.min(Grab.grabbed_at)).where(Grab.sharer_id == buyer, Grab.workspace_id == workspace_id)
                  .scalar_subquery())
    rows = session.execute(
        select(CustomerSummary.first_at, Sharer.created_at, first_click, first_grab, SharerFirstSale.first_sale_at)
        .outerjoin(Sharer, Sharer.id == buyer)
        .outerjoin(SharerFirstSale, (SharerFirstSale.workspace_id == workspace_id) & (SharerFirstSale.sharer_id == buyer))
        .where(*chosen)).all()
    reached = [0] * len(STAGES)
    took: list[list[int]] = [[] for _ in STAGES]
    for first_at, enrolled_at, clicked_at, grabbed_at, sold_at in rows:
        times = stage_times(first_at, enrolled_at, [clicked_at, grabbed_at], sold_at)
        for i, at in enumerate(times):
            if at is None:
                break
            reached[i] += 1
            if i:
                took[i].append(_seconds(times[i - 1], at))
    waiting = 0
    if campaign_id is None:
        # Enrollment by approval: a buyer whose request was not granted bought but is no sharer.
        asked = [Application.workspace_id == workspace_id, Application.source == "sale",
                 Application.status != "approved"]
        if first_from is not None:
            asked.append(Application.created_at >= first_from)
        if first_to is not None:
            asked.append(Application.created_at < first_to)
        waiting = session.scalar(select(func.count()).select_from(Application).where(*asked))
    reached[0] += waiting
    return {"from": first_from, "to": first_to, "campaign_id": campaign_id, "not_enrolled": waiting,
            "stages": [{"stage": stage, "count": reached[i], "percent_of_buyers": percent(reached[i], reached[0]),
                        "median_seconds": statistics.median_low(took[i]) if took[i] else None}
                       for i, stage in enumerate(STAGES)]}


def _ratio(part: int, whole: int) -> str | None:
    return str((Decimal(part) / whole).quantize(Decimal("0.01"), ROUND_HALF_UP)) if whole else None


def viral(session: Session, workspace_id: int, *, months: int = 12, now: datetime,
          campaign_id: int | None = None) -> dict:
    """The viral coefficient by month of first purchase (UTC): for each of the last ``months`` cohorts of
    buyers (in ``campaign_id`` when given), how many new buyers they have brought so far (in that campaign
    too) and that per buyer. Two statements over the customer summaries.
    """
    this_month = now.year * 12 + now.month - 1
    oldest = this_month - months + 1
    start = datetime(oldest // 12, oldest % 12 + 1, 1, tzinfo=timezone.utc)
    cohort = aliased(CustomerSummary)
    in_window = [cohort.workspace_id == workspace_id, cohort.first_at >= start, cohort.first_at <= now]
    if campaign_id is not None:
        in_window.append(cohort.first_campaign_id == campaign_id)
    month = month_index(cohort.first_at).label("m")
    buyers = dict(session.execute(select(month, func.count()).where(*in_window).group_by(month)).all())
    new = aliased(CustomerSummary)
    joined = select(month, func.count()).select_from(new).join(
        cohort, (cohort.workspace_id == new.workspace_id) & (cohort.customer_sharer_id == new.brought_by))
    if campaign_id is not None:
        joined = joined.where(new.first_campaign_id == campaign_id)
    brought = dict(session.execute(joined.where(new.workspace_id == workspace_id, *in_window).group_by(month)).all())
    items = [{"month": month_label(m), "buyers": int(buyers.get(m, 0)), "brought": int(brought.get(m, 0)),
              "k": _ratio(int(brought.get(m, 0)), int(buyers.get(m, 0)))} for m in range(oldest, this_month + 1)]
    total_buyers, total_brought = sum(i["buyers"] for i in items), sum(i["brought"] for i in items)
    return {"months": this_month - oldest + 1, "timezone": "UTC", "campaign_id": campaign_id,
            "buyers": total_buyers, "brought": total_brought, "k": _ratio(total_brought, total_buyers),
            "items": items}
