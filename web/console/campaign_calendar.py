"""A month of a campaign's publications as calendar weeks (pure: dates in, weeks out)."""
from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from datetime import date, datetime

_MONTH = re.compile(r"(20[0-9]{2})-(0[1-9]|1[0-2])")


@dataclass
class Day:
    date: date
    in_month: bool
    today: bool
    entries: list = field(default_factory=list)


def month_start(text: str | None, today: date) -> date:
    """The first day of the month ``text`` names (``"2026-05"``); this month when it names none."""
    found = _MONTH.fullmatch(text or "")
    return date(int(found[1]), int(found[2]), 1) if found else today.replace(day=1)


def shift(first: date, months: int) -> date:
    """The first day of the month ``months`` after (or before) ``first``'s."""
    index = first.year * 12 + first.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def month_weeks(first: date, today: date, entries: list[tuple[datetime, object]]) -> list[list[Day]]:
    """The weeks (Monday first) that cover ``first``'s month, each day with the entries
    whose local time falls on it, in time order. ``entries`` are ``(local datetime, item)``."""
    by_day: dict[date, list] = {}
    for moment, item in sorted(entries, key=lambda pair: pair[0]):
        by_day.setdefault(moment.date(), []).append(item)
    return [[Day(d, d.month == first.month, d == today, by_day.get(d, [])) for d in week]
            for week in calendar.Calendar(calendar.MONDAY).monthdatescalendar(first.year, first.month)]
