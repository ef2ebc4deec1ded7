"""What the marketer console reads: time series, sharer boards, the campaign report, the sharer list.

Services take a session and answer plain dicts shaped like the API's JSON
(money as decimal strings with ``currency``, times ISO-8601 with offset).
Clicks come from the hourly rollups and the per-link totals the click writer
keeps, never from the clicks table.

Orders and revenue, everywhere here as in ``campaign_stats`` and the
leaderboard, are of the orders that count (``stats.counted_sales``: credited to
a sharer, not self-referred, not wholly refunded, not rejected in risk review); revenue is what they kept:
each sale's amount less the refunds applied to it (``refunded_minor``),
counted at the time of the sale. So a series adds up to the campaign's stats,
and a refund lowers the bucket its sale is in rather than the day it came. Commission is what was
booked less what was reversed, whatever its state (pending, approved, paid).
"""
from __future__ import annotations

from bisect import bisect_right
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import BigInteger, Integer, cast, func, literal_column, select, union_all
from sqlalchemy.orm import Session

from catalog.models import Campaign
from plumbing.database import utcnow
from plumbing.errors import ApiError
from plumbing.money import format_amount, from_minor
from plumbing.pagination import DEFAULT_LIMIT, ID, after, check_limit, decode_cursor, encode_cursor, newest_first
from referrals.identity import mask_email, mask_phone
from referrals.models import ClickRollup, Commission, Conversion, Link, LinkClickTotal, Sharer
from referrals.stats import attributed_sales
from workspaces.models import Workspace

HOUR = 3600
# Every zone's offset is a whole number of quarter hours, so sales summed by
# quarter hour fall into the right local day; clicks are rolled up by UTC hour.
QUARTER = 900
MAX_BUCKETS = 24 * 92
DEFAULT_BUCKETS = {"hour": 48, "day": 14}
GRANULARITIES = tuple(DEFAULT_BUCKETS)


def _bad(field: str, message: str) -> ApiError:
    return ApiError(422, "validation_error", "The request has invalid fields.", {field: message})


# --- time series -------------------------------------------------------------------------------

def bucket_bounds(granularity: str, zone: str, start: datetime, end: datetime) -> list[datetime]:
    """The edges (aware, UTC) of the buckets covering ``[start, end)``: n buckets, n + 1 edges.

    Hour buckets are UTC hours (the rollups' grain); day buckets are the
    zone's calendar days, 23 or 25 hours long across a DST change. The first
    edge is at or before ``start``, the last at or after ``end``.

    :raise ValueError: more than MAX_BUCKETS buckets.
    """
    if granularity == "hour":
        edge = datetime.fromtimestamp(int(start.timestamp()) // HOUR * HOUR, timezone.utc)
        step = lambda e: e + timedelta(hours=1)  # noqa: E731
    else:
        tz = ZoneInfo(zone)
        day = start.astimezone(tz).date()

        def midnight(d):
            return datetime.combine(d, time(0), tzinfo=tz).astimezone(timezone.utc)

        # A midnight skipped by a DST change reads as the instant of the change (fold=0):
        # still the first instant of that local day.
        edge = midnight(day)

        def step(_e):
            nonlocal day
            day += timedelta(days=1)
            return midnight(day)
    edges = [edge]
    while edges[-1] < end:
        if len(edges) > MAX_BUCKETS:
            raise ValueError(f"more than {MAX_BUCKETS} buckets")
        edges.append(step(edges[-1]))
    return edges


def series_range(granularity: str, zone: str, start: datetime | None, end: datetime | None,
                 now: datetime) -> tuple[datetime, datetime]:
    """The range a series covers when ``start`` or ``end`` are left out.

    By default it ends with the bucket holding ``now`` and spans 48 hours or 14 days.
    """
    if end is None:
        end = bucket_bounds(granularity, zone, now, now + timedelta(microseconds=1))[-1]
    if start is None:
        count = DEFAULT_BUCKETS[granularity]
        if granularity == "hour":
            start = end - timedelta(hours=count)
        else:
            tz = ZoneInfo(zone)
            last_day = (end - timedelta(microseconds=1)).astimezone(tz).date()
            start = datetime.combine(last_day - timedelta(days=count - 1), time(0), tzinfo=tz).astimezone(timezone.utc)
    return start, end


def _epoch_units(session: Session, column, seconds: int):
    """SQL: whole ``seconds``-long units since the epoch of a UTC datetime column."""
    if session.get_bind().dialect.name == "postgresql":
        epoch = cast(func.floor(func.extract("epoch", column)), BigInteger)
    else:  # SQLite keeps UTC text; strftime('%s') reads it as seconds
        epoch = cast(func.strftime("%s", column), Integer)
    return epoch // seconds


def _bucket_of(edges: list[datetime]):
    """A function from a unit's start (seconds since the epoch) to the index of the bucket holding it."""
    seconds = [int(e.timestamp()) for e in edges]
    return lambda unit_start: bisect_right(seconds, unit_start) - 1


def _count_clicks(session: Session, campaign_id: int, channel: str | None, edges: list[datetime],
                  counts: list[dict]) -> None:
    """Add the rollups' hours to ``counts`` (one per bucket between ``edges``), each to the bucket its start is in."""
    first, last = int(edges[0].timestamp()), int(edges[-1].timestamp())
    # hours whose start is in [first, last): hour numbers from ceil(first) to ceil(last)
    hours = select(ClickRollup.hour, func.sum(ClickRollup.clicks), func.sum(ClickRollup.unique_clicks)).where(
        ClickRollup.campaign_id == campaign_id,
        ClickRollup.hour >= -(-first // HOUR), ClickRollup.hour < -(-last // HOUR))
    if channel is not None:
        hours = hours.where(ClickRollup.channel == channel)
    bucket = _bucket_of(edges)
    for hour, clicks, unique in session.execute(hours.group_by(ClickRollup.hour)):
        c = counts[bucket(hour * HOUR)]
        c["clicks"] += int(clicks)
        c["unique_clicks"] += int(unique)


def _count_sales(session: Session, campaign_id: int, channel: str | None, edges: list[datetime],
                 counts: list[dict]) -> None:
    """Add the attributed sales between ``edges`` to ``counts``, summed in SQL by quarter hour."""
    quarter = _epoch_units(session, Conversion.occurred_at, QUARTER).label("quarter")
    sales = select(quarter, func.count(), func.sum(Conversion.amount_minor - Conversion.refunded_minor)).where(
        *attributed_sales(campaign_id), Conversion.occurred_at >= edges[0], Conversion.occurred_at < edges[-1])
    if channel is not None:
        sales = sales.where(Conversion.channel == channel)
    bucket = _bucket_of(edges)
    for unit, orders, revenue in session.execute(sales.group_by(quarter)):
        c = counts[bucket(int(unit) * QUARTER)]
        c["orders"] += int(orders)
        c["revenue_minor"] += int(revenue)


def campaign_series(session: Session, campaign: Campaign, granularity: str = "day", start: datetime | None = None,
                    end: datetime | None = None, channel: str | None = None, now: datetime | None = None) -> dict:
    """Clicks, unique clicks, orders and revenue per hour or per local day of the workspace's zone.

    Every bucket from ``start`` (rounded down to its bucket) to ``end`` (rounded
    up) is present, zero when nothing happened; by default the last 48 hours
    or 14 days up to the current bucket. ``unique_clicks`` sums the hourly
    unique counts (a visitor counts once per link per hour). ``channel`` keeps
    one channel of the campaign.

    :return: ``{"campaign_id", "granularity", "timezone", "currency", "channel", "from", "to",
        "items": [{"start", "end", "clicks", "unique_clicks", "orders", "revenue"}], "totals", "next_cursor"}``
        (``next_cursor`` always null: a series is one page).
    :raise ApiError 422: unknown granularity or channel, ``from`` not before ``to``, too many buckets.
    """
    if granularity not in GRANULARITIES:
        raise _bad("granularity", f"one of {', '.join(GRANULARITIES)}")
    if channel is not None and channel not in campaign.channels:
        raise _bad("channel", f"one of {', '.join(campaign.channels)}")
    zone = session.scalar(select(Workspace.timezone).where(Workspace.id == campaign.workspace_id))
    start, end = series_range(granularity, zone, start, end, now or utcnow())
    if start >= end:
        raise _bad("from", "must be before to")
    try:
        edges = bucket_bounds(granularity, zone, start, end)
    except ValueError:
        raise _bad("to", f"the range holds more than {MAX_BUCKETS} {granularity} buckets; narrow it") from None
    counts = [{"clicks": 0, "unique_clicks": 0, "orders": 0, "revenue_minor": 0} for _ in edges[:-1]]
    _count_clicks(session, campaign.id, channel, edges, counts)
    _count_sales(session, campaign.id, channel, edges, counts)

    tz = ZoneInfo(zone)
    currency = campaign.currency

    def shown(c: dict) -> dict:
        return {"clicks": c["clicks"], "unique_clicks": c["unique_clicks"], "orders": c["orders"],
                "revenue": format_amount(c["revenue_minor"], currency)}

    totals = {k: sum(c[k] for c in counts) for k in counts[0]}
    return {
        "campaign_id": campaign.id, "granularity": granularity, "timezone": zone, "currency": currency,
        "channel": channel, "from": edges[0].astimezone(tz).isoformat(), "to": edges[-1].astimezone(tz).isoformat(),
        "items": [{"start": a.astimezone(tz).isoformat(), "end": b.astimezone(tz).isoformat(), **shown(c)}
                  for a, b, c in zip(edges, edges[1:], counts)],
        "totals": shown(totals), "next_cursor": None,
    }


# --- per sharer --------------------------------------------------------------------------------

def _sharer_figures(campaign_id: int, by_channel: bool):
    """A subquery of per-sharer (and, with ``by_channel``, per-channel) figures of one campaign.

    Columns: sharer_id, [channel ('' for links without one),] clicks, unique_clicks,
    orders, revenue_minor, commission_minor. A commission belongs to the channel of
    the sale that earned it, so an inviter's level-2 share shows on the invitee's channel.
    """
    zero, one = literal_column("0", BigInteger), literal_column("1", BigInteger)

    def part(sharer, channel, clicks, unique, orders, revenue, commission):
        columns = [sharer.label("sharer_id")] + ([channel.label("channel")] if by_channel else [])
        return select(*columns, clicks.label("clicks"), unique.label("unique_clicks"), orders.label("orders"),
                      revenue.label("revenue_minor"), commission.label("commission_minor"))

    sale_channel = func.coalesce(Conversion.channel, "")
    clicks = part(LinkClickTotal.sharer_id, Link.channel, LinkClickTotal.clicks, LinkClickTotal.unique_clicks,
                  zero, zero, zero).where(LinkClickTotal.campaign_id == campaign_id)
    if by_channel:
        clicks = clicks.join(Link, Link.id == LinkClickTotal.link_id)
    sales = part(Conversion.sharer_id, sale_channel, zero, zero, one,
                 Conversion.amount_minor - Conversion.refunded_minor, zero).where(*attributed_sales(campaign_id))
    commissions = part(Commission.sharer_id, sale_channel, zero, zero, zero, zero,
                       Commission.amount_minor - Commission.reversed_minor).where(Commission.campaign_id == campaign_id)
    if by_channel:
        commissions = commissions.join(Conversion, Conversion.id == Commission.conversion_id)
    rows = union_all(clicks, sales, commissions).subquery()
    keys = [rows.c.sharer_id] + ([rows.c.channel] if by_channel else [])
    return select(*keys, *[func.sum(rows.c[name]).label(name) for name in
                           ("clicks", "unique_clicks", "orders", "revenue_minor", "commission_minor")]
                  ).group_by(*keys).subquery()


def _figures_json(row, currency: str) -> dict:
    return {"clicks": int(row.clicks), "unique_clicks": int(row.unique_clicks), "orders": int(row.orders),
            "revenue": format_amount(int(row.revenue_minor), currency),
            "commission": format_amount(int(row.commission_minor), currency), "currency": currency}


def campaign_sharers(session: Session, campaign: Campaign, cursor: str | None = None,
                     limit: int = DEFAULT_LIMIT) -> dict:
    """The campaign's sharers, best first (revenue, then clicks, then lowest id): one page.

    Every sharer with a click, a sale or a commission on the campaign; items
    ``{"sharer_id", "name", "clicks", "unique_clicks", "orders", "revenue", "commission", "currency"}``
    where ``commission`` is their level-1 and level-2 commissions net of reversals.

    :return: ``{"items", "next_cursor"}``. :raise ApiError 422: a bad cursor.
    """
    check_limit(limit)
    t = _sharer_figures(campaign.id, by_channel=False)
    order = [t.c.revenue_minor, t.c.clicks, t.c.sharer_id]
    # The page is cut from the figures first and only its sharers are joined for their names:
    # joining all of a campaign's sharers (100,000) before the cut cost more than the figures.
    page = select(t).order_by(t.c.revenue_minor.desc(), t.c.clicks.desc(), t.c.sharer_id).limit(limit + 1)
    if cursor is not None:
        page = page.where(after(order, decode_cursor(cursor, int, int, ID), [True, True, False]))
    p = page.subquery()
    rows = session.execute(
        select(p, Sharer.name).join(Sharer, Sharer.id == p.c.sharer_id)
        .where(Sharer.workspace_id == campaign.workspace_id)  # links are made for the campaign's workspace only
        .order_by(p.c.revenue_minor.desc(), p.c.clicks.desc(), p.c.sharer_id)).all()
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = encode_cursor(int(last.revenue_minor), int(last.clicks), last.sharer_id)
    return {"items": [{"sharer_id": r.sharer_id, "name": r.name, **_figures_json(r, campaign.currency)}
                      for r in rows], "next_cursor": next_cursor}


REPORT_COLUMNS = ("campaign_id", "campaign", "sharer_id", "sharer_name", "channel", "clicks", "unique_clicks",
                  "orders", "revenue", "commission", "currency")


def campaign_report(session: Session, campaign: Campaign) -> list[dict]:
    """The campaign's figures per sharer × channel, best first: one dict per row keyed by REPORT_COLUMNS.

    ``channel`` is '' for links made without one; money values are Decimals
    (numbers for a spreadsheet) in ``currency``.
    """
    t = _sharer_figures(campaign.id, by_channel=True)
    rows = session.execute(
        select(t, Sharer.name).join(Sharer, Sharer.id == t.c.sharer_id)
        .where(Sharer.workspace_id == campaign.workspace_id)
        .order_by(t.c.revenue_minor.desc(), t.c.clicks.desc(), t.c.sharer_id, t.c.channel))
    currency = campaign.currency
    return [{"campaign_id": campaign.id, "campaign": campaign.name, "sharer_id": r.sharer_id, "sharer_name": r.name,
             "channel": r.channel, "clicks": int(r.clicks), "unique_clicks": int(r.unique_clicks),
             "orders": int(r.orders), "revenue": from_minor(int(r.revenue_minor), currency),
             "commission": from_minor(int(r.commission_minor), currency), "currency": currency} for r in rows]


# --- the sharer list ---------------------------------------------------------------------------

def list_sharers(session: Session, workspace_id: int, q: str | None = None, cursor: str | None = None,
                 limit: int = DEFAULT_LIMIT, full_contact: bool = False) -> dict:
    """One page of the workspace's sharers, newest first; ``q`` matches name, email or phone
    (a case-insensitive substring).

    Items ``{"id", "name", "email", "phone", "code", "invited_by", "source", "created_at"}``,
    ``source`` being ``invited`` (added by staff) or ``enrolled`` (a buyer); ``email`` and
    ``phone`` masked (``l***@example.com``, ``+86138****8000``) unless ``full_contact``.

    :return: ``{"items", "next_cursor"}``. :raise ApiError 422: a bad cursor.
    """
    query = select(Sharer).where(Sharer.workspace_id == workspace_id)
    q = (q or "").strip()
    if q:
        query = query.where(Sharer.name.icontains(q, autoescape=True) | Sharer.email.icontains(q, autoescape=True)
                            | Sharer.phone.icontains(q, autoescape=True))
    rows, next_cursor = newest_first(session, query, Sharer.created_at, Sharer.id, cursor, limit)
    def shown(value: str | None, mask) -> str | None:
        return value if full_contact or not value else mask(value)

    return {"items": [{"id": s.id, "name": s.name, "email": shown(s.email, mask_email),
                       "phone": shown(s.phone, mask_phone), "code": s.code,
                       "invited_by": s.invited_by, "source": s.source, "created_at": s.created_at.isoformat()}
                      for s in rows], "next_cursor": next_cursor}
