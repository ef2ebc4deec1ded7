"""Reading the platforms' timestamps into aware datetimes."""
from __future__ import annotations

from datetime import datetime, timezone

from integrations.base import BadPayload


def parse_time(value) -> datetime | None:
    """ISO-8601 with an offset (Shopify, WeChat Pay), or None when absent.

    :raise BadPayload: present but unreadable or without an offset.
    """
    if value in (None, ""):
        return None
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise BadPayload(f"not a time: {value!r}") from None
    if parsed.tzinfo is None:
        raise BadPayload(f"a time without an offset: {value!r}")
    return parsed


def from_unix(value) -> datetime | None:
    """A Unix timestamp (Stripe), or None when absent. :raise BadPayload: not a number."""
    if value in (None, ""):
        return None
    try:
        return datetime.fromtimestamp(int(value), tz=timezone.utc)
    except (TypeError, ValueError, OverflowError, OSError):
        raise BadPayload(f"not a timestamp: {value!r}") from None


def parse_local(value, offset: str) -> datetime | None:
    """A time the platform writes without an offset (WooCommerce's ``*_gmt``: ``+00:00``;
    Alipay's Beijing time: ``+08:00``), or None when absent. :raise BadPayload: unreadable."""
    if value in (None, ""):
        return None
    return parse_time(str(value).replace(" ", "T") + offset)
