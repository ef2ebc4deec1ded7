"""Repurchase rate, lifetime value and retention cohorts over a workspace's buyers.

A purchase is a sale with a known buyer that was not refunded in full nor rejected in risk review
(one still in review counts). Scopes
(``campaign_id``, ``sharer_id``, ``team_id``) narrow the purchases counted: a
team's figures are those of the sales its members made.
"""
from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from figures.sql import epoch_seconds, month_index, month_label
from plumbing.money import format_amount
from referrals.models import CohortCount, Conversion, CustomerSummary
from referrals.stats import not_rejected_in_review
from teams.models import TeamMember
from workspaces.models import Workspace

MAX_AGE = 12  # cohort months 0..11


def _purchases(workspace_id: int, campaign_id: int | None, sharer_id: int | None, team_id: int | None) -> list:
    where = [Conversion.workspace_id == workspace_id, Conversion.type == "sale",
             Conversion.customer_sharer_id.is_not(None), Conversion.refunded_minor < Conversion.amount_minor,
             not_rejected_in_review()]
    if campaign_id is not None:
        where.append(Conversion.campaign_id == campaign_id)
    if sharer_id is not None:
        where.append(Conversion.sharer_id == sharer_id)
    if team_id is not None:
        where.append(Conversion.sharer_id.in_(select(TeamMember.sharer_id).where(TeamMember.team_id == team_id)))
    return where


def percent(part: int, whole: int) -> str | None:
    if not whole:
        return None
    return str((Decimal(100 * part) / whole).quantize(Decimal("0.01"), ROUND_HALF_UP))


def repurchase(session: Session, workspace_id: int, *, days: int = 90, first_from: datetime | None = None,
               first_to: datetime | None = None, campaign_id: int | None = None, sharer_id: int | None = None,
               team_id: int | None = None, currency: str | None = None) -> dict:
    """Customers (by first purchase in [first_from, first_to) when given), how many bought a second
    time within ``days`` of their first purchase, the rate in percent, and lifetime value so far:
    net revenue (in ``currency``, default the workspace's) of those customers per customer. One statement
    (and one for the workspace's currency when none is given).
    """
    workspace_currency = session.get(Workspace, workspace_id).currency
    currency = currency or workspace_currency
    if campaign_id is None and sharer_id is None and team_id is None and currency == workspace_currency:
        customers, repeat, net = _repurchase_from_rollup(session, workspace_id, days, first_from, first_to)
    else:
        customers, repeat, net = _repurchase_from_orders(session, workspace_id, days, first_from, first_to,
                                                         currency, _purchases(workspace_id, campaign_id, sharer_id,
                                                                              team_id))
    ltv = int((Decimal(int(net)) / customers).quantize(Decimal(1), ROUND_HALF_UP)) if customers else 0
    return {"days": days, "customers": int(customers), "repeat_customers": int(repeat),
            "rate": percent(int(repeat), int(customers)), "currency": currency,
            "net_revenue": format_amount(int(net), currency), "lifetime_value": format_amount(ltv, currency)}


def _repurchase_from_rollup(session: Session, workspace_id: int, days: int, first_from: datetime | None,
                            first_to: datetime | None) -> tuple[int, int, int]:
    """(customers, repeat customers, net revenue) from the customer summaries: one row per customer."""
    chosen = [CustomerSummary.workspace_id == workspace_id]
    if first_from is not None:
        chosen.append(CustomerSummary.first_at >= first_from)
    if first_to is not None:
        chosen.append(CustomerSummary.first_at < first_to)
    return session.execute(select(
        func.count(), func.coalesce(func.sum(case((CustomerSummary.gap_seconds <= days * 86400, 1), else_=0)), 0),
        func.coalesce(func.sum(CustomerSummary.net_minor), 0)).where(*chosen)).one()


def _repurchase_from_orders(session: Session, workspace_id: int, days: int, first_from: datetime | None,
                            first_to: datetime | None, currency: str, where: list) -> tuple[int, int, int]:
    """The same figures computed from a scope's orders (a campaign's, a sharer's, a team's)."""
    net_here = case((Conversion.currency == currency, Conversion.amount_minor - Conversion.refunded_minor), else_=0)
    ordered = select(Conversion.customer_sharer_id.label("customer"), Conversion.occurred_at, net_here.label("net"),
                     func.row_number().over(partition_by=Conversion.customer_sharer_id,
                                            order_by=(Conversion.occurred_at, Conversion.id)).label("n")
                     ).where(*where).subquery()
    per_customer = (select(ordered.c.customer,
                           func.min(case((ordered.c.n == 1, ordered.c.occurred_at))).label("first_at"),
                           func.min(case((ordered.c.n == 2, ordered.c.occurred_at))).label("second_at"),
                           func.sum(ordered.c.net).label("net"))
                    .group_by(ordered.c.customer).subquery())
    chosen = []
    if first_from is not None:
        chosen.append(per_customer.c.first_at >= first_from)
    if first_to is not None:
        chosen.append(per_customer.c.first_at < first_to)
    within = epoch_seconds(per_customer.c.second_at) - epoch_seconds(per_customer.c.first_at) <= days * 86400
    return session.execute(select(
        func.count(), func.coalesce(func.sum(case((per_customer.c.second_at.is_not(None) & within, 1), else_=0)), 0),
        func.coalesce(func.sum(per_customer.c.net), 0)).where(*chosen)).one()


def cohorts(session: Session, workspace_id: int, *, months: int = 12, now: datetime,
            campaign_id: int | None = None, sharer_id: int | None = None, team_id: int | None = None) -> dict:
    """Retention by month of first purchase (UTC months): for each of the last ``months`` cohorts,
    how many of its customers bought in month 0, 1, ... 11 after (up to now). One statement: over the
    cohort counts the writer keeps for the workspace, over the scope's orders otherwise.
    """
    this_month = now.year * 12 + now.month - 1
    oldest = this_month - months + 1
    if campaign_id is None and sharer_id is None and team_id is None:
        # The writer's counts, each cell's slots summed: a few hundred rows, whatever the number of orders.
        age = CohortCount.month - CohortCount.first_month
        query = (select(CohortCount.first_month, age, func.sum(CohortCount.customers))
                 .where(CohortCount.workspace_id == workspace_id, CohortCount.first_month >= oldest,
                        CohortCount.first_month <= this_month, CohortCount.month < CohortCount.first_month + MAX_AGE)
                 .group_by(CohortCount.first_month, age))
    else:
        activity = (select(Conversion.customer_sharer_id.label("customer"),
                           month_index(Conversion.occurred_at).label("m"))
                    .where(*_purchases(workspace_id, campaign_id, sharer_id, team_id)).distinct().subquery())
        # Each customer's first month by a window over their months: one pass, no self-join.
        spans = select(activity.c.m, func.min(activity.c.m).over(partition_by=activity.c.customer).label("first_m")
                       ).subquery()
        age = (spans.c.m - spans.c.first_m).label("age")
        query = (select(spans.c.first_m, age, func.count())
                 .where(spans.c.first_m >= oldest, spans.c.first_m <= this_month, age < MAX_AGE)
                 .group_by(spans.c.first_m, age))
    counts = {(first_m, int(a)): int(n) for first_m, a, n in session.execute(query)}
    rows = []
    for first_m in range(oldest, this_month + 1):
        size = counts.get((first_m, 0), 0)
        ages = range(min(MAX_AGE, this_month - first_m + 1))
        retained = [counts.get((first_m, a), 0) for a in ages]
        rows.append({"month": month_label(first_m), "customers": size, "retained": retained,
                     "rates": [percent(n, size) for n in retained]})
    return {"months": months, "timezone": "UTC", "items": rows}
