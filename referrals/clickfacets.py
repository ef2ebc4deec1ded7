"""Clicks broken down by device class, browser, operating system, referring site and country.

The click writer derives these from the user agent and referrer each click already
carries (nothing more is done on the redirect), the country from its address where a
GeoIP database is configured, and keeps human clicks per campaign,
UTC hour, facet and value in ``click_facet_hours``; the breakdown sums those rows
over a time range, never the clicks themselves.
"""
from __future__ import annotations

from datetime import datetime, timezone
from functools import lru_cache
from urllib.parse import urlsplit

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from plumbing.errors import ApiError
from referrals.models import ClickFacetHour

# "country" only has rows where a GeoIP database is configured (see referrals/geoip.py).
FACETS = ("device", "browser", "os", "referrer", "country")
CSV_COLUMNS = ("facet", "value", "clicks", "unique_clicks")
VALUE_LENGTH = 100

# First match wins: in-app browsers before the engines they are built on, Edge and Opera before Chrome.
_BROWSERS = (
    (("MicroMessenger",), "WeChat"), (("Weibo",), "Weibo"), (("AlipayClient",), "Alipay"),
    (("DingTalk",), "DingTalk"), (("aweme", "BytedanceWebview"), "Douyin"),
    (("XiaoHongShu", "xhsdiscover"), "Xiaohongshu"), ((" QQ/", "MQQBrowser"), "QQ"), (("UCBrowser",), "UC"),
    (("Quark/",), "Quark"), (("Edg/", "EdgA/", "EdgiOS/"), "Edge"), (("OPR/", "Opera"), "Opera"),
    (("SamsungBrowser",), "Samsung Internet"), (("Firefox/", "FxiOS"), "Firefox"),
    (("CriOS", "Chrome/", "Chromium"), "Chrome"), (("Safari/",), "Safari"),
)
_SYSTEMS = (
    (("HarmonyOS", "OpenHarmony"), "HarmonyOS"), (("iPhone", "iPad", "iPod"), "iOS"), (("Android",), "Android"),
    (("Windows",), "Windows"), (("Macintosh", "Mac OS X"), "macOS"), (("CrOS",), "ChromeOS"), (("Linux",), "Linux"),
)


def _first(user_agent: str, table: tuple) -> str:
    for needles, name in table:
        if any(n in user_agent for n in needles):
            return name
    return "other"


@lru_cache(maxsize=4096)
def describe_agent(user_agent: str) -> tuple[str, str, str]:
    """Pure: (device class, browser, operating system) of a user agent; "other" when unknown.

    Device classes: ``mobile``, ``tablet``, ``desktop``, ``other`` (no user agent at all).
    """
    if not user_agent.strip():
        return "other", "other", "other"
    tablet = "iPad" in user_agent or "Tablet" in user_agent or ("Android" in user_agent and "Mobile" not in user_agent)
    mobile = any(n in user_agent for n in ("Mobile", "iPhone", "iPod", "Android", "Phone"))
    device = "tablet" if tablet else "mobile" if mobile else "desktop"
    return device, _first(user_agent, _BROWSERS), _first(user_agent, _SYSTEMS)


def referring_site(referrer: str) -> str:
    """Pure: the referrer's host in lower case without ``www.`` ("" for none or one that is no web address)."""
    try:
        parts = urlsplit(referrer.strip())
        host = (parts.hostname or "") if parts.scheme in ("http", "https") else ""
    except ValueError:
        return ""
    return host.removeprefix("www.")[:VALUE_LENGTH]


def facets_of(user_agent: str, referrer: str) -> dict[str, str]:
    """Pure: a click's value for each facet."""
    device, browser, system = describe_agent(user_agent)
    return {"device": device, "browser": browser, "os": system, "referrer": referring_site(referrer)}


def hour_range(start: datetime | None, end: datetime | None) -> tuple[int | None, int | None]:
    """Pure: [start, end) as UTC hour numbers, the start rounded down and the end up."""
    return (None if start is None else int(start.timestamp()) // 3600,
            None if end is None else -(-int(end.timestamp()) // 3600))


def whole_hours(start: datetime | None, end: datetime | None) -> tuple[datetime | None, datetime | None]:
    """``from``/``to`` of a query rounded out to whole UTC hours (either may be None: open).

    :raise ApiError 422: ``from`` not before ``to`` (the series' rule and message).
    """
    if start is not None and end is not None and start >= end:
        raise ApiError(422, "validation_error", "from must be before to.", {"from": "must be before to"})
    return tuple(None if h is None else datetime.fromtimestamp(h * 3600, timezone.utc)
                 for h in hour_range(start, end))


def click_breakdown(session: Session, campaign_id: int, start: datetime | None = None,
                    end: datetime | None = None) -> dict[str, list[dict]]:
    """Human clicks and unique clicks of a campaign per facet value, for clicks in [start, end) rounded out
    to whole UTC hours (see :func:`hour_range`), most first. One statement over the writer's hourly rows."""
    where = [ClickFacetHour.campaign_id == campaign_id]
    first, last = hour_range(start, end)
    if first is not None:
        where.append(ClickFacetHour.hour >= first)
    if last is not None:
        where.append(ClickFacetHour.hour < last)
    rows = session.execute(
        select(ClickFacetHour.facet, ClickFacetHour.value, func.sum(ClickFacetHour.clicks),
               func.sum(ClickFacetHour.unique_clicks))
        .where(*where).group_by(ClickFacetHour.facet, ClickFacetHour.value)).all()
    out: dict[str, list[dict]] = {facet: [] for facet in FACETS}
    for facet, value, clicks, unique in rows:
        if int(clicks):
            out[facet].append({"value": value, "clicks": int(clicks), "unique_clicks": int(unique)})
    for items in out.values():
        items.sort(key=lambda item: (-item["clicks"], item["value"]))
    return out


def csv_rows(figures: dict[str, list[dict]]):
    """Pure: a breakdown as CSV rows under ``CSV_COLUMNS``, facet by facet."""
    return ((facet, item["value"], item["clicks"], item["unique_clicks"]) for facet in FACETS for item in figures[facet])
