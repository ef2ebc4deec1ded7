"""Creating and reading campaigns."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.landing import check_landing_url
from catalog.models import Campaign
from catalog.products import campaign_products, resolve_products, set_campaign_products
from catalog.rules import amount_for, parse_rule
from channels import REGISTRY as CHANNELS
from plumbing.database import utcnow
from plumbing.errors import ApiError
from plumbing.money import amount_field, format_amount
from plumbing.pagination import DEFAULT_LIMIT, newest_first
from publishing.models import CampaignImage, Publication
from publishing.render.looks import badge_errors
from publishing.storage import public_url
from publishing.templates import check_campaign
from publishing.versions import record_version
from referrals.models import Conversion
from workspaces.models import Workspace


def create_campaign(session: Session, workspace_id: int, data: dict, own_hosts: set[str],
                    allow_private: bool = False) -> Campaign:
    """Validate ``data`` (already shaped by CampaignIn) and store a campaign with
    its first content version.

    :raise ApiError 422: bad currency, price, landing URL, channel, rule or dates;
        ``fields`` names each bad field. Nothing is stored then.
    """
    values = validate_campaign(session, workspace_id, data, own_hosts, allow_private=allow_private)
    products = values.pop("products")
    campaign = Campaign(workspace_id=workspace_id, **values)
    session.add(campaign)
    session.flush()
    if products is not None:
        set_campaign_products(session, campaign, products)
    record_version(session, campaign)
    return campaign


def update_campaign(session: Session, campaign: Campaign, changes: dict, own_hosts: set[str],
                    allow_private: bool = False) -> set[str]:
    """Apply ``changes`` (shaped by CampaignPatch) after validating the campaign
    they make exactly as :func:`create_campaign` would; record a new content
    version when what posts show changed. Returns the names of changed columns.

    :raise ApiError 422: any invalid field (nothing changes then), including a
        ``logo_image_id`` that is not an image of this campaign.
    """
    changes = dict(changes)
    logo = changes.pop("logo_image_id", campaign.logo_image_id)
    if logo is not None and session.scalar(select(CampaignImage.id).where(
            CampaignImage.id == logo, CampaignImage.campaign_id == campaign.id)) is None:
        raise ApiError(422, "validation_error", "The campaign has invalid fields.",
                       {"logo_image_id": "not an image of this campaign"})
    current = {**campaign_input(campaign), "product_ids": [p.id for p in campaign_products(session, campaign.id)] or None}
    values = validate_campaign(session, campaign.workspace_id, {**current, **changes}, own_hosts,
                               end_must_be_future="ends_at" in changes, allow_private=allow_private)
    products = values.pop("products")
    values["logo_image_id"] = logo
    changed = {name for name, value in values.items() if getattr(campaign, name) != value}
    if "currency" in changed and session.scalar(
            select(Conversion.id).where(Conversion.campaign_id == campaign.id).limit(1)) is not None:
        # Its sales and commissions are amounts in the old currency; read in a new one they would lie.
        raise ApiError(422, "validation_error", "The campaign has invalid fields.",
                       {"currency": "cannot change once the campaign has sales"})
    for name in changed:
        setattr(campaign, name, values[name])
    session.flush()
    if products is not None or "product_ids" in changes:
        # Checked after the new rules are set: the margin guard weighs them.
        set_campaign_products(session, campaign, products or [])
        changed.add("product_ids")
    record_version(session, campaign)
    return changed


def campaign_input(campaign: Campaign) -> dict:
    """The campaign as CampaignIn would load it: what an edit is merged into."""
    def rule(kind, value):
        return {"type": kind, "value": value} if kind else None

    return {
        "name": campaign.name, "title": campaign.title, "body": campaign.body, "hashtags": list(campaign.hashtags),
        "price": campaign.price_text, "original_price": campaign.original_price_text,
        "currency": campaign.currency, "landing_url": campaign.landing_url, "channels": list(campaign.channels),
        "commission": rule(campaign.commission_type, campaign.commission_value),
        "invite_bonus": rule(campaign.invite_type, campaign.invite_value),
        "attribution_window_days": campaign.attribution_window_days,
        "starts_at": campaign.starts_at, "ends_at": campaign.ends_at,
        "brand_name": campaign.brand_name, "brand_color": campaign.brand_color,
        "call_to_action": campaign.call_to_action, "language": campaign.language,
        "look": campaign.look, "badges": list(campaign.badges or []), "seller_opener": campaign.seller_opener,
        "template_id": campaign.template_id,
    }


def validate_campaign(session: Session, workspace_id: int, data: dict, own_hosts: set[str],
                      end_must_be_future: bool = True, allow_private: bool = False) -> dict:
    """The campaign columns ``data`` (a whole CampaignIn) stands for.

    :raise ApiError 422: bad currency, price, landing URL, channel, rule or
        dates; ``fields`` names each bad field.
    """
    workspace = session.get(Workspace, workspace_id)
    currency = data.get("currency") or workspace.currency  # CampaignIn checked it
    errors: dict[str, str] = {}

    products = None
    if data.get("product_ids"):
        products, problem = resolve_products(session, workspace_id, data["product_ids"], data.get("currency"))
        if problem:
            errors["product_ids"] = problem
        elif not data.get("currency"):
            currency = products[0].currency
    hero = products[0] if products else None
    data = {**data, "price": data.get("price") or (hero and format_amount(hero.price_minor, hero.currency)),
            "landing_url": data.get("landing_url") or (hero and hero.landing_url)}
    for field in ("price", "landing_url"):
        if not data.get(field) and not errors.get("product_ids"):
            errors[field] = "Missing data for required field."
    price = amount_field(data, "price", currency, errors)
    original = amount_field(data, "original_price", currency, errors)
    if price and original is not None and original < price:
        errors["original_price"] = "must not be below the price"
    problem = check_landing_url(data["landing_url"], own_hosts, allow_private) if data.get("landing_url") else None
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
    if ends and not starts and end_must_be_future and ends <= utcnow():
        errors["ends_at"] = "must be in the future"
    badge_problem = badge_errors(list(data.get("badges", [])))
    if badge_problem:
        errors["badges"] = badge_problem
    if data.get("template_id") is not None and price and not errors.get("original_price"):
        problem = check_campaign(session, workspace_id, data["template_id"],
                                 {"title": data["title"], "currency": currency, "price_minor": price,
                                  "original_price_minor": original})
        if problem:
            errors["template_id"] = problem
    if errors:
        raise ApiError(422, "validation_error", "The campaign has invalid fields.", errors)
    invite = rules.get("invite_bonus")
    return dict(
        name=data["name"].strip(), title=data["title"], body=data["body"],
        hashtags=[t.strip().strip("#") for t in data["hashtags"] if t.strip().strip("#")],
        currency=currency, price_minor=price, original_price_minor=original,
        landing_url=data["landing_url"], channels=list(data["channels"]),
        commission_type=rules["commission"].type, commission_value=rules["commission"].value,
        invite_type=invite.type if invite else None, invite_value=invite.value if invite else None,
        attribution_window_days=data["attribution_window_days"], starts_at=starts, ends_at=ends,
        brand_name=data.get("brand_name", "").strip(), brand_color=data.get("brand_color", "#C8102E").upper(),
        call_to_action=data.get("call_to_action", "").strip(), language=data.get("language", "zh-CN"),
        products=products,
        look=data.get("look", "clean"), badges=[b.strip() for b in data.get("badges", [])],
        seller_opener=data.get("seller_opener", "").strip(), template_id=data.get("template_id"),
    )


def campaign_status(campaign: Campaign, publication_statuses: list[str] = (), now: datetime | None = None) -> str:
    """draft → scheduled → live → ended, from the campaign's dates and its publications' statuses.

    Ended once ``ends_at`` passed; live once a publication went out (or, with
    no publications, once ``starts_at`` passed); scheduled while one waits.
    """
    now = now or utcnow()
    if campaign.ends_at and now >= campaign.ends_at:
        return "ended"
    if "published" in publication_statuses:
        return "live"
    if any(s in ("scheduled", "publishing") for s in publication_statuses):
        return "scheduled"
    if campaign.starts_at and now < campaign.starts_at:
        return "scheduled"
    if campaign.starts_at:
        return "live"
    return "draft"


STATUSES = ("draft", "scheduled", "live", "ended")


def list_campaigns(session: Session, workspace_id: int, status: str | None = None, cursor: str | None = None,
                   limit: int = DEFAULT_LIMIT, now: datetime | None = None) -> dict:
    """One page of the workspace's campaigns, newest first: ``{"items", "next_cursor"}``.

    Each item is :func:`campaign_summary`'s; ``status`` (one of STATUSES) keeps
    only campaigns :func:`campaign_status` puts there at ``now``.

    :raise ApiError 422: a cursor that is not this list's ``next_cursor``.
    """
    now = now or utcnow()
    statuses: dict[int, str] = {}

    def with_status(batch: list[Campaign]) -> list[Campaign]:
        published: dict[int, list[str]] = {c.id: [] for c in batch}
        for campaign_id, pub_status in session.execute(
                select(Publication.campaign_id, Publication.status).distinct()
                .where(Publication.campaign_id.in_(published))):
            published[campaign_id].append(pub_status)
        for c in batch:
            statuses[c.id] = campaign_status(c, published[c.id], now)
        return [c for c in batch if status is None or statuses[c.id] == status]

    rows, next_cursor = newest_first(session, select(Campaign).where(Campaign.workspace_id == workspace_id),
                                     Campaign.created_at, Campaign.id, cursor, limit, with_status)
    return {"items": [campaign_summary(c, statuses[c.id]) for c in rows], "next_cursor": next_cursor}


def campaign_summary(campaign: Campaign, status: str) -> dict:
    """A campaign as lists show it: id, name, title, status, channels, price, currency and dates."""
    def iso(value):
        return value.isoformat() if value else None

    return {"id": campaign.id, "name": campaign.name, "title": campaign.title, "status": status,
            "channels": campaign.channels, "price": campaign.price_text, "currency": campaign.currency,
            "starts_at": iso(campaign.starts_at), "ends_at": iso(campaign.ends_at),
            "created_at": iso(campaign.created_at)}


def campaign_json(campaign: Campaign, images: list[CampaignImage] = (), publications: list[dict] = (),
                  product_ids: list[int] = ()) -> dict:
    """The campaign as the API shows it; ``publications`` as shaped by ``publishing.publications``."""
    def iso(value):
        return value.isoformat() if value else None

    return {
        "id": campaign.id, "name": campaign.name, "title": campaign.title, "body": campaign.body,
        "hashtags": campaign.hashtags, "price": campaign.price_text, "original_price": campaign.original_price_text,
        "currency": campaign.currency, "landing_url": campaign.landing_url, "channels": campaign.channels,
        "commission": {"type": campaign.commission_type, "value": campaign.commission_value},
        "invite_bonus": ({"type": campaign.invite_type, "value": campaign.invite_value}
                         if campaign.invite_type else None),
        "attribution_window_days": campaign.attribution_window_days,
        "starts_at": iso(campaign.starts_at), "ends_at": iso(campaign.ends_at),
        "status": campaign_status(campaign, [p["status"] for p in publications]),
        "publications": list(publications),
        "created_at": iso(campaign.created_at),
        "brand_name": campaign.brand_name, "brand_color": campaign.brand_color,
        "call_to_action": campaign.call_to_action, "language": campaign.language,
        "look": campaign.look, "badges": list(campaign.badges or []), "seller_opener": campaign.seller_opener,
        "template_id": campaign.template_id,
        "logo_image_id": campaign.logo_image_id, "content_version": campaign.content_version,
        "images": [image_json(image) for image in images],
        "product_ids": list(product_ids),
    }


def image_json(image: CampaignImage) -> dict:
    return {"id": image.id, "role": image.role, "url": public_url(image.storage_key), "width": image.width,
            "height": image.height, "media_type": image.media_type,
            "focus": [image.focus_x, image.focus_y] if image.focus_x is not None else None}
