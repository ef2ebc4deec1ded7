"""The sales leaderboard: sharers ranked by their attributed sales in a week or a month.

Compliance holds by construction: the rank counts sales only (so do the team
totals ``teams.board`` adds to it); how many people a sharer invited never ranks anyone (recruiting alone
earns nothing, and is not celebrated either). A sharer's purchases through
their own link (self-referrals), fully refunded orders and sales rejected in risk
review do not count (``stats.counted_sales``), so nobody climbs by buying their own
stock or by orders the brand found to be fraud.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from plumbing.database import utcnow
from plumbing.errors import ApiError
from plumbing.money import format_amount, is_currency
from plumbing.pagination import decode_cursor, encode_cursor
from referrals.models import Conversion, Sharer
from referrals.sharers import get_sharer
from referrals.stats import counted_sales
from workspaces.models import Workspace

PERIODS = ("week", "month")
TOP = 20


def period_bounds(period: str, zone: ZoneInfo, at: datetime) -> tuple[datetime, datetime]:
    """The local week (from Monday 00:00) or month (from the 1st, 00:00) containing ``at``,
    as aware datetimes in ``zone``: [start, end).
    """
    day = at.astimezone(zone).date()
    if period == "week":
        first = day - timedelta(days=day.weekday())
        following = first + timedelta(days=7)
    else:
        first = day.replace(day=1)
        following = (first + timedelta(days=31)).replace(day=1)
    return datetime.combine(first, time(), zone), datetime.combine(following, time(), zone)


def _zone(workspace: Workspace) -> ZoneInfo:
    try:
        return ZoneInfo(workspace.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def sales_in_window(workspace_id: int, currency: str, start: datetime, end: datetime) -> tuple:
    """The orders that count (``stats.counted_sales``) of a workspace in one currency and window."""
    return (Conversion.workspace_id == workspace_id, *counted_sales(),
            Conversion.occurred_at >= start, Conversion.occurred_at < end, Conversion.currency == currency)


def masked(name: str | None) -> str | None:
    """Another seller's name as a seller sees it: the first character only (王**, L***).

    Enrolled buyers are on the board too, so their full names are for staff only.
    """
    name = (name or "").strip()
    return name[0] + "*" * min(max(len(name) - 1, 2), 3) if name else None


def _row(rank: int | None, sharer_id: int, name: str | None, orders: int, revenue: int, currency: str) -> dict:
    return {"rank": rank, "sharer_id": sharer_id, "display_name": (name or "").strip() or None,
            "orders": int(orders), "revenue": format_amount(int(revenue), currency)}


def _from_cursor(cursor: str | None, period: str) -> tuple[date | None, str | None, int]:
    """(first local day of the period, currency, offset) a leaderboard cursor pins; Nones without one."""
    if cursor is None:
        return None, None, 0
    kind, first, currency, offset = decode_cursor(cursor, str, str, str, int)
    try:
        day = date.fromisoformat(first)
    except ValueError:
        day = None
    if day is not None and not 2000 <= day.year <= 2100:  # the calendar's edges overflow in time zone maths
        day = None
    starts_period = day is not None and (day.weekday() == 0 if kind == "week" else day.day == 1)
    if kind != period or not starts_period or not is_currency(currency) or offset < 0:
        raise ApiError(422, "validation_error", "The cursor is of another leaderboard.",
                       {"cursor": "not a cursor of this period"})
    return day, currency, offset


def leaderboard(session: Session, workspace_id: int, *, period: str = "week", at: datetime | None = None,
                currency: str | None = None, viewer_sharer_id: int | None = None, cursor: str | None = None,
                limit: int = TOP) -> dict:
    """Sharers ranked by attributed sales in the period containing ``at`` (default now), in the
    workspace's time zone: by revenue net of refunds, then orders; ties share a rank (1, 1, 3).

    Sales in ``currency`` (default the workspace's) count. A cursor pins the period and currency
    of its first page. For a seller (``viewer_sharer_id``) ``me`` is their own row wherever it
    ranks (rank null without sales); their team's totals are ``teams.board``'s to add.
    :raise ApiError 404: a viewer of another workspace.
    :raise ApiError 422: ``period`` not week or month; a cursor of another list or period.
    """
    if period not in PERIODS:
        raise ApiError(422, "validation_error", "Unknown period.", {"period": "week or month"})
    workspace = session.get(Workspace, workspace_id)
    zone = _zone(workspace)
    first_day, pinned_currency, offset = _from_cursor(cursor, period)
    currency = pinned_currency or currency or workspace.currency
    if first_day is not None:
        at = datetime.combine(first_day, time(12), zone)
    start, end = period_bounds(period, zone, at or utcnow())
    counted = sales_in_window(workspace_id, currency, start, end)
    totals = (select(Conversion.sharer_id.label("sharer_id"), func.count().label("orders"),
                     func.sum(Conversion.amount_minor - Conversion.refunded_minor).label("revenue"))
              .where(*counted).group_by(Conversion.sharer_id).subquery())
    ranked = select(totals, func.rank().over(order_by=(totals.c.revenue.desc(), totals.c.orders.desc()))
                    .label("rank")).subquery()
    rows = session.execute(
        select(ranked.c.rank, ranked.c.sharer_id, Sharer.name, ranked.c.orders, ranked.c.revenue)
        .join(Sharer, Sharer.id == ranked.c.sharer_id)
        .order_by(ranked.c.rank, ranked.c.sharer_id).offset(offset).limit(limit + 1)).all()
    next_cursor = None
    if len(rows) > limit:
        # An offset, not a keyset: ranks move as sales come in, a page is a stretch of ranks.
        rows, next_cursor = rows[:limit], encode_cursor(period, start.date().isoformat(), currency, offset + limit)
    me = None
    if viewer_sharer_id is not None:
        viewer = get_sharer(session, workspace_id, viewer_sharer_id)
        mine = session.execute(select(ranked.c.rank, ranked.c.orders, ranked.c.revenue)
                               .where(ranked.c.sharer_id == viewer.id)).first()
        rank, orders, revenue = mine or (None, 0, 0)
        me = _row(rank, viewer.id, viewer.name, orders, revenue, currency)
    items = [_row(*row, currency) for row in rows]
    if viewer_sharer_id is not None:
        for item in items:
            if item["sharer_id"] != viewer_sharer_id:
                item["display_name"] = masked(item["display_name"])
    return {"items": items, "next_cursor": next_cursor, "currency": currency,
            "period": {"period": period, "timezone": str(zone.key), "starts_at": start, "ends_at": end},
            "me": me}

