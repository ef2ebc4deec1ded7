"""A brand's poster templates: stored, checked against every size and campaign they serve, found again.

A template is checked when it is saved (against every poster size of every channel, each
aspect against the sizes it serves, and the content of every campaign using it, or a reference
title and price when none does yet) and when a campaign chooses it or changes its title or price;
either refusal is a 422 naming the box. Rendering reads the copy a content version keeps
(:func:`publishing.versions.snapshot_of`), never this table.
"""
from __future__ import annotations

from decimal import Decimal
from functools import lru_cache

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.models import Campaign
from channels import REGISTRY
from channels.content import MasterContent
from plumbing.errors import ApiError
from plumbing.money import format_amount
from publishing.images import MAX_STORED_SIDE, decode_upload, normalized
from publishing.models import PosterTemplate
from publishing.render.template import REFERENCE_PRICE, REFERENCE_TITLE, aspect_of, layout_problems
from publishing.renders import plan_slots
from publishing.storage import Storage, public_url

# Photo height / width: each aspect's edges (publishing.render.template.aspect_of) and common photos.
_PHOTO_RATIOS = (0.5, 0.5625, 0.75, 0.799, 0.8, 1.0, 1.149, 1.15, 1.25, 1.333, 1.5)


@lru_cache(maxsize=1)
def poster_sizes() -> dict[str, tuple[tuple[int, int], ...]]:
    """Every poster size a channel draws, by the aspect whose layout it takes. A size whose height
    follows the photo (``ImageSize.height`` of None) is taken at photos of every aspect's edges."""
    sizes: dict[str, set[tuple[int, int]]] = {}
    photos = [None] + [(1000, round(1000 * ratio)) for ratio in _PHOTO_RATIOS]
    for channel in REGISTRY.values():
        for photo in photos:
            for slot in plan_slots(channel.spec, True, photo):
                if slot.poster:
                    sizes.setdefault(aspect_of(slot.width, slot.height), set()).add((slot.width, slot.height))
    return {aspect: tuple(sorted(found)) for aspect, found in sizes.items()}


def check_layouts(layouts: dict, contents: list[MasterContent], field: str = "layouts") -> None:
    """:raise ApiError 422: a box of some aspect's layout clips text, covers or shrinks the code at a
    size that aspect serves; ``fields`` names it as ``layouts.<aspect>.boxes.<box>``."""
    errors = {}
    for aspect, layout in layouts.items():
        for box, why in layout_problems(layout, list(poster_sizes().get(aspect, ())), contents).items():
            errors[f"{field}.{aspect}.boxes.{box}"] = why
    if errors:
        raise ApiError(422, "template_does_not_fit", "The template cannot be drawn without clipping text or the "
                       "code: " + "; ".join(f"{k}: {v}" for k, v in errors.items()), errors)


def content_of(campaign_values: dict) -> MasterContent:
    """What a template's boxes must hold for a campaign: its title and its prices."""
    currency = campaign_values["currency"]

    def amount(minor):
        return Decimal(format_amount(minor, currency)) if minor is not None else None

    return MasterContent(title=campaign_values["title"], body="", price=amount(campaign_values["price_minor"]),
                         currency=currency, original_price=amount(campaign_values["original_price_minor"]))


def get_template(session: Session, workspace_id: int, template_id: int) -> PosterTemplate:
    """:raise ApiError 404: no such template in this workspace."""
    template = session.scalar(select(PosterTemplate).where(PosterTemplate.id == template_id,
                                                           PosterTemplate.workspace_id == workspace_id))
    if template is None:
        raise ApiError(404, "not_found", "No such template in this workspace.")
    return template


def check_campaign(session: Session, workspace_id: int, template_id: int, values: dict) -> str | None:
    """Why the campaign ``values`` (its columns) cannot use template ``template_id``, or ``None``."""
    template = session.scalar(select(PosterTemplate).where(PosterTemplate.id == template_id,
                                                           PosterTemplate.workspace_id == workspace_id))
    if template is None:
        return "no such template in this workspace"
    try:
        check_layouts(template.layouts, [content_of(values)])
    except ApiError as exc:
        return "the campaign does not fit the template: " + "; ".join(f"{k}: {v}" for k, v in exc.fields.items())
    return None


def _users(session: Session, template: PosterTemplate) -> list[Campaign]:
    return list(session.scalars(select(Campaign).where(Campaign.workspace_id == template.workspace_id,
                                                       Campaign.template_id == template.id).order_by(Campaign.id)))


def _contents(session: Session, template: PosterTemplate | None, workspace_id: int) -> list[MasterContent]:
    reference = MasterContent(title=REFERENCE_TITLE, body="", price=REFERENCE_PRICE.price,
                              original_price=REFERENCE_PRICE.original_price)
    if template is None or template.id is None:
        return [reference]
    # One check per distinct title and prices: about 50 ms each at every size of an aspect.
    distinct = dict.fromkeys((c.title, c.currency, c.price_minor, c.original_price_minor)
                             for c in _users(session, template))
    return [reference] + [content_of({"title": title, "currency": currency, "price_minor": price,
                                      "original_price_minor": original})
                          for title, currency, price, original in distinct]


def create_template(session: Session, workspace_id: int, data: dict) -> PosterTemplate:
    """Store a template (``data`` shaped by TemplateIn) once every layout fits. Flushes.

    :raise ApiError 422: as :func:`check_layouts`; nothing is stored.
    """
    check_layouts(data["layouts"], _contents(session, None, workspace_id))
    template = PosterTemplate(workspace_id=workspace_id, name=data["name"].strip(), layouts=data["layouts"])
    session.add(template)
    session.flush()
    return template


def update_template(session: Session, template: PosterTemplate, data: dict) -> list[Campaign]:
    """Replace the template's name and layouts; the campaigns using it get a new content version
    (their posts redraw), posts grabbed before keep theirs. Returns those campaigns. Flushes.

    :raise ApiError 422: a layout that does not fit at some size or some campaign's content.
    """
    check_layouts(data["layouts"], _contents(session, template, template.workspace_id))
    template.name, template.layouts = data["name"].strip(), data["layouts"]
    session.flush()
    return _users(session, template)


def set_background(session: Session, store: Storage, template: PosterTemplate, data: bytes) -> list[Campaign]:
    """Store ``data`` as the template's background (checked and cleaned as product photos are).
    Returns the campaigns using the template (the caller records their new versions).

    :raise ApiError 413, 415, 422: as :func:`publishing.images.decode_upload`.
    """
    image = decode_upload(data, MAX_STORED_SIDE)
    stored, media_type = normalized(image)
    template.background_key = store.put(stored, media_type)
    scale = min(1.0, MAX_STORED_SIDE / max(image.size))
    template.background_width = max(1, round(image.width * scale))
    template.background_height = max(1, round(image.height * scale))
    session.flush()
    return _users(session, template)


def delete_template(session: Session, template: PosterTemplate) -> None:
    """:raise ApiError 409: campaigns still use it (they are named); nothing is deleted."""
    users = _users(session, template)
    if users:
        raise ApiError(409, "template_in_use", "Campaigns still use this template: choose a look or another "
                       "template for them first.", {"campaign_ids": ", ".join(str(c.id) for c in users)})
    session.delete(template)
    session.flush()


def list_templates(session: Session, workspace_id: int) -> list[PosterTemplate]:
    return list(session.scalars(select(PosterTemplate).where(PosterTemplate.workspace_id == workspace_id)
                                .order_by(PosterTemplate.id)))


def template_json(session: Session, template: PosterTemplate) -> dict:
    background = None
    if template.background_key:
        background = {"url": public_url(template.background_key), "width": template.background_width,
                      "height": template.background_height,
                      "media_type": "image/png" if template.background_key.endswith(".png") else "image/jpeg"}
    return {"id": template.id, "name": template.name, "layouts": template.layouts, "background": background,
            "campaign_ids": [c.id for c in _users(session, template)],
            "created_at": template.created_at.isoformat(), "updated_at": template.updated_at.isoformat()}

