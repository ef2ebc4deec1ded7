"""Which sharer a sale belongs to: a pure decision over gathered evidence."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

# A merchant's clock may run a little behind ours.
CLOCK_SKEW = timedelta(minutes=5)


@dataclass(frozen=True)
class Evidence:
    """What the conversion named, resolved: a click, a link, or a sharer (+ campaign)."""

    method: str  # click | code | coupon | sharer_id
    sharer_id: int | None
    campaign_id: int | None
    link_id: int | None = None
    channel: str | None = None
    click_id: str | None = None
    clicked_at: datetime | None = None
    bot: bool = False
    suspended: bool = False  # the sharer it names is suspended
    content_version: int | None = None  # of the post the click came from (its creative)


@dataclass(frozen=True)
class Attribution:
    attributed: bool
    method: str
    reason: str | None = None
    sharer_id: int | None = None
    campaign_id: int | None = None
    link_id: int | None = None
    channel: str | None = None
    click_id: str | None = None


def attribute(evidence: Evidence, occurred_at: datetime, window_days: int) -> Attribution:
    """Credit the sharer the evidence names, unless it is missing, a bot's, or stale.

    A click counts only within ``window_days`` before the sale (default 30);
    codes, coupons and sharer ids are explicit and have no window.
    """
    def no(reason: str) -> Attribution:
        return Attribution(False, evidence.method, reason, campaign_id=evidence.campaign_id)

    if evidence.sharer_id is None or evidence.campaign_id is None:
        return no(f"unknown_{evidence.method}")
    if evidence.suspended:
        return no("sharer_suspended")
    if evidence.method == "click":
        if evidence.bot:
            return no("bot_click")
        if evidence.clicked_at and occurred_at + CLOCK_SKEW < evidence.clicked_at:
            return no("sale_before_click")
        if evidence.clicked_at and occurred_at - evidence.clicked_at > timedelta(days=window_days):
            return no("click_expired")
    return Attribution(True, evidence.method, None, evidence.sharer_id, evidence.campaign_id,
                       evidence.link_id, evidence.channel, evidence.click_id)
