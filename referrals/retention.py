"""Raw clicks: monthly partitions on PostgreSQL, and how long they are kept.

The figures live in roll-ups (``click_rollups`` per campaign, channel and hour;
``link_click_totals`` per link), written in the same transaction as the clicks,
so raw rows are needed only to attribute a sale to the click it names and to
judge a visitor's first click in an hour. They are kept ``CLICK_RETENTION_MONTHS``
(at least 13: a campaign's attribution window may be a year), then dropped.

On PostgreSQL ``clicks`` is partitioned by month of ``clicked_at``
(``clicks_y2026m11`` ...; a default partition takes anything else): dropping a
month is dropping a table, with no long delete and no bloat. Partitions are made
three months ahead by the daily job (and by the migration). On SQLite old rows
are deleted in batches.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import Connection, bindparam, delete, select, text

from referrals.models import Click

log = logging.getLogger(__name__)

MIN_RETENTION_MONTHS = 13
AHEAD_MONTHS = 3
_BATCH = 10_000
_ZONES_APART = timedelta(hours=14)  # the farthest a zone's midnight is from UTC's (Kiritimati)
CLICKS = Click.__table__


@dataclass(frozen=True)
class Retained:
    partitions_dropped: int = 0
    clicks_deleted: int = 0
    visitor_hours_deleted: int = 0


def month_start(moment: datetime | date, shift: int = 0) -> date:
    """The first day of ``moment``'s month, moved by ``shift`` months."""
    index = moment.year * 12 + moment.month - 1 + shift
    return date(index // 12, index % 12 + 1, 1)


def month_instant(month: date) -> datetime:
    """The first instant of ``month`` (a first day, as :func:`month_start` gives), in UTC."""
    return datetime(month.year, month.month, 1, tzinfo=timezone.utc)


def partition_name(month: date) -> str:
    return f"clicks_y{month.year}m{month.month:02d}"


def partition_bounds(conn: Connection, month: date) -> str:
    """``month``'s partition bounds: its first instant to the next month's, in UTC (a bound without
    an offset would be read in the session's ``TimeZone``, and a server in Shanghai would put the
    last eight hours of each month's clicks in the next month's partition). Where a neighbour's
    partition was made before bounds were UTC, in another zone (at most 14 hours off), this one
    starts where the previous ends, or ends where the next starts: no overlap (refused) and no gap
    (the default's)."""
    following = month_start(month, 1)
    start = _near(month_instant(month), _bound(conn, partition_name(month_start(month, -1)), "TO"))
    end = _near(month_instant(following), _bound(conn, partition_name(following), "FROM"))
    return f"FROM ('{start.isoformat()}') TO ('{end.isoformat()}')"


def _near(boundary: datetime, neighbours: datetime | None) -> datetime:
    """The neighbour's bound where it is ``boundary`` in some time zone, else ``boundary`` (and
    making the partition is refused if they overlap: logged, the default partition takes it)."""
    return neighbours if neighbours and abs(neighbours - boundary) <= _ZONES_APART else boundary


def _bound(conn: Connection, name: str, which: str) -> datetime | None:
    """The ``FROM`` or ``TO`` bound of ``clicks``'s partition ``name`` (as ``to_regclass`` finds
    it); None when there is no such partition."""
    return conn.scalar(text(
        "SELECT (regexp_match(pg_get_expr(c.relpartbound, c.oid), :pattern))[1]::timestamptz "
        "FROM pg_class c JOIN pg_inherits i ON i.inhrelid = c.oid "
        "WHERE c.oid = to_regclass(:name) AND i.inhparent = to_regclass('clicks')"),
        {"name": name, "pattern": f"{which} \\('([^']+)'\\)"})


def ensure_partitions(conn: Connection, now: datetime, since: date | None = None) -> list[str]:
    """Make the monthly partitions from ``since`` (default: this month) to three months
    ahead, and the default partition; PostgreSQL only. Returns the ones made."""
    if conn.dialect.name != "postgresql":
        return []
    made = []
    conn.execute(text("CREATE TABLE IF NOT EXISTS clicks_default PARTITION OF clicks DEFAULT"))
    month, last = since or month_start(now), month_start(now, AHEAD_MONTHS)
    while month <= last:
        name = partition_name(month)
        exists = conn.scalar(text("SELECT to_regclass(:name)"), {"name": name})
        if exists is None:
            try:
                with conn.begin_nested():
                    conn.execute(text(f"CREATE TABLE {name} PARTITION OF clicks FOR VALUES {partition_bounds(conn, month)}"))
                made.append(name)
            except Exception as exc:  # noqa: BLE001 - rows for that month already sit in the default partition
                log.error("could not make click partition %s: %s", name, exc)
        month = month_start(month, 1)
    return made


def retain(conn: Connection, now: datetime, months: int) -> Retained:
    """Drop raw clicks (and first-click-of-the-hour marks) older than ``months`` whole months."""
    months = max(months, MIN_RETENTION_MONTHS)
    cutoff = month_start(now, -months)
    cutoff_at = month_instant(cutoff)
    dropped = deleted = 0
    if conn.dialect.name == "postgresql":
        names = conn.scalars(text(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'clicks' AND c.relname ~ '^clicks_y[0-9]{4}m[0-9]{2}$'"
        )).all()
        for name in sorted(names):
            month = date(int(name[8:12]), int(name[13:15]), 1)
            if month_start(month, 1) <= cutoff:
                conn.execute(text(f"DROP TABLE {name}"))
                dropped += 1
        deleted = conn.execute(text("DELETE FROM clicks_default WHERE clicked_at < :cutoff").bindparams(
            bindparam("cutoff", type_=CLICKS.c.clicked_at.type)), {"cutoff": cutoff_at}).rowcount
    else:
        while True:
            old = select(CLICKS.c.id).where(CLICKS.c.clicked_at < cutoff_at).limit(_BATCH).scalar_subquery()
            batch = conn.execute(delete(CLICKS).where(CLICKS.c.id.in_(old))).rowcount
            deleted += batch
            if batch < _BATCH:
                break
    hours = conn.execute(text("DELETE FROM visitor_hours WHERE hour < :hour"),
                         {"hour": int(cutoff_at.timestamp()) // 3600}).rowcount
    return Retained(dropped, deleted, hours)
