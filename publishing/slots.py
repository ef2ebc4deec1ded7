"""Pure time arithmetic for scheduling: slots, local display, retry backoff. No I/O."""
from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

_SLOT = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])")
SEARCH_DAYS = 366


def parse_slot(value: str) -> int:
    """``"09:30"`` as minutes after midnight. :raise ValueError: not HH:MM (24-hour)."""
    match = _SLOT.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise ValueError("must be a 24-hour time written HH:MM")
    return int(match[1]) * 60 + int(match[2])


def slot_text(minute_of_day: int) -> str:
    return f"{minute_of_day // 60:02d}:{minute_of_day % 60:02d}"


def slot_times(minutes: list[int], zone: str, after: datetime, days: int = SEARCH_DAYS):
    """Every slot instant (aware, UTC) strictly after ``after``, in order, for ``days`` local days.

    Local times that do not exist (a DST gap) resolve the way ``zoneinfo`` does (fold=0).
    """
    tz = ZoneInfo(zone)
    first: date = after.astimezone(tz).date()
    for day in range(days):
        local_day = first + timedelta(days=day)
        for minute in sorted(minutes):
            local = datetime.combine(local_day, time(minute // 60, minute % 60), tzinfo=tz)
            instant = local.astimezone(timezone.utc)
            if instant > after:
                yield instant, slot_text(minute)


def next_free_slot(minutes: list[int], zone: str, now: datetime, taken: set[datetime],
                   not_before: datetime | None = None, not_after: datetime | None = None):
    """The first slot after ``now`` (and ``not_before``) that is not in ``taken``.

    :return: ``(instant, "HH:MM")`` or None when no slot is free before ``not_after``.
    """
    after = max(now, not_before - timedelta(microseconds=1)) if not_before else now
    for instant, text in slot_times(minutes, zone, after):
        if not_after is not None and instant > not_after:
            return None
        if instant not in taken:
            return instant, text
    return None


def offset_minutes(value: datetime) -> int:
    """The UTC offset ``value`` was written with, in minutes."""
    return int(value.utcoffset().total_seconds() // 60)


def with_offset(value: datetime, minutes: int) -> datetime:
    return value.astimezone(timezone(timedelta(minutes=minutes)))


def local(value: datetime, zone: str) -> datetime:
    return value.astimezone(ZoneInfo(zone))


def retry_delay(attempt: int, base_seconds: float, factor: float = 5.0) -> timedelta:
    """Wait before attempt ``attempt + 1``: base, base×5, base×25, ... (1, 5, 25 min by default)."""
    return timedelta(seconds=base_seconds * factor ** (attempt - 1))
