"""Creating and reading campaigns."""
from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from channels import REGISTRY as CHANNELS
from database import utcnow
from errors import ApiError
from money import format_amount, is_currency, parse_amount
from publishing.models import Campaign
from referrals.commission import amount_for, parse_rule
from workspaces.models import Workspace


def check_landing_url(url: str, own_hosts: set[str]) -> str | None:
    """Why ``url`` cannot be a landing page, or None when it can."""
    if any(ch.isspace() or ord(ch) < 32 for ch in url):
        return "must not contain spaces or control characters"
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        return "must be an absolute http(s) URL"
    if parts.username or parts.password:
        return "must not carry credentials"
    if parts.hostname.lower().rstrip(".") in own_hosts:
        return "must not point back at Sharecast itself"
    return None


def create_campaign(session: Session, workspace_id: int, data: dict, own_hosts: set[str]) -> Campaign:
    """Validate ``data`` (already shaped by CampaignIn) and store a campaign.

    :raise ApiError 422: bad currency, price, landing URL, channel, rule or dates;
        ``fields`` names each bad field. Nothing is stored then.
    """
    workspace = session.get(Workspace, workspace_id)
    currency = (data.get("currency") or workspace.currency).upper()
    errors: dict[str, str] = {}
    if not is_currency(currency):
        raise ApiError(422, "validation_error", "Unknown currency.", {"currency": "not an ISO-4217 code"})

    def amount(field: str) -> int | None:
        if data.get(field) is None:
            return None
        try:
            value = parse_amount(data[field], currency)
        except ValueError as exc:
            errors[field] = str(exc)
            return None
        if value <= 0:
            errors[field] = "must be above 0"
        return value

    price = amount("price")
    original = amount("original_price")
    if price and original is not None and original < price:
        errors["original_price"] = "must not be below the price"
    problem = check_landing_url(data["landing_url"], own_hosts)
    if problem:
        errors["landing_url"] = problem
    unknown = [c for c in data["channels"] if c not in CHANNELS]
    if unknown:
        errors["channels"] = f"unknown channel(s): {', '.join(unknown)}"
    if len(set(data["channels"])) != len(data["channels"]):
        errors["channels"] = "each channel may appear once"
    rules = {}
    for field in ("commission", "invite_bonus"):
        if data.get(field) is not None:
            try:
                rules[field] = parse_rule(data[field], currency)
            except ValueError as exc:
                errors[f"{field}.value"] = str(exc)
    if price and "commission" in rules:
        paid = amount_for(rules["commission"], price, currency)
        if "invite_bonus" in rules:
            paid += amount_for(rules["invite_bonus"], price, currency)
        if paid > price:
            errors["commission"] = "commission and invite bonus together exceed the price"
    starts, ends = data.get("starts_at"), data.get("ends_at")
    if starts and ends and ends <= starts:
        errors["ends_at"] = "must be after starts_at"
    if ends and not starts and ends <= utcnow():
        errors["ends_at"] = "must be in the future"
    if errors:
        raise ApiError(422, "validation_error", "The campaign has invalid fields.", errors)
    invite = rules.get("invite_bonus")
    campaign = Campaign(
        workspace_id=workspace_id, name=data["name"].strip(), title=data["title"], body=data["body"],
        hashtags=[t.strip().strip("#") for t in data["hashtags"] if t.strip().strip("#")],
        currency=currency, price_minor=price, original_price_minor=original,
        landing_url=data["landing_url"], channels=list(data["channels"]),
        commission_type=rules["commission"].type, commission_value=rules["commission"].value,
        invite_type=invite.type if invite else None, invite_value=invite.value if invite else None,
        attribution_window_days=data["attribution_window_days"], starts_at=starts, ends_at=ends,
    )
    session.add(campaign)
    session.flush()
    return campaign


def get_campaign(session: Session, workspace_id: int, campaign_id: int) -> Campaign:
    """:raise ApiError 404: no such campaign in this workspace."""
    campaign = session.scalar(select(Campaign).where(Campaign.id == campaign_id, Campaign.workspace_id == workspace_id))
    if campaign is None:
        raise ApiError(404, "not_found", "No such campaign.")
    return campaign


def campaign_status(campaign: Campaign, now: datetime | None = None) -> str:
    now = now or utcnow()
    if campaign.ends_at and now >= campaign.ends_at:
        return "ended"
    if campaign.starts_at and now < campaign.starts_at:
        return "scheduled"
    if campaign.starts_at:
        return "live"
    return "draft"


def campaign_json(campaign: Campaign) -> dict:
    def iso(value):
        return value.isoformat() if value else None

    return {
        "id": campaign.id, "name": campaign.name, "title": campaign.title, "body": campaign.body,
        "hashtags": campaign.hashtags, "price": format_amount(campaign.price_minor, campaign.currency),
        "original_price": (format_amount(campaign.original_price_minor, campaign.currency)
                           if campaign.original_price_minor is not None else None),
        "currency": campaign.currency, "landing_url": campaign.landing_url, "channels": campaign.channels,
        "commission": {"type": campaign.commission_type, "value": campaign.commission_value},
        "invite_bonus": ({"type": campaign.invite_type, "value": campaign.invite_value}
                         if campaign.invite_type else None),
        "attribution_window_days": campaign.attribution_window_days,
        "starts_at": iso(campaign.starts_at), "ends_at": iso(campaign.ends_at),
        "status": campaign_status(campaign), "publications": [],
        "created_at": iso(campaign.created_at),
    }
