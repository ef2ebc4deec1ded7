"""Per-channel posts as the console shows them, and the live preview of an unsaved campaign.

The live text comes from the pure composer (:mod:`publishing.compose`) run on
the form as typed, so nothing is stored while the marketer types. Images take
time to draw and belong to a saved content version: the preview shows those
of the saved campaign (drawn by the posts service) and says they refresh on
save.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

from flask import current_app, g, render_template
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from catalog.campaigns import get_campaign
from catalog.models import Campaign
from channels import REGISTRY
from channels.spec import ChannelSpec
from plumbing import database
from publishing import storage
from publishing.posts import RENDER_WARNINGS, campaign_posts
from web.console.campaign_fields import draft_content
from web.console.forms import CampaignForm, channel_name

# Each warning code (publishing.compose, publishing.posts) in the page's language.
_WARNINGS = {
    "title_cut": _l("The title is longer than %(channel)s allows (%(limit)s) and was cut."),
    "text_cut": _l("The text was cut to fit %(channel)s's limit of %(limit)s."),
    "caption_cut": _l("The caption sent with images was cut to %(channel)s's limit of %(limit)s."),
    "too_many_hashtags": _l("%(channel)s allows %(limit)s hashtags; the others were left out."),
    "hashtags_dropped": _l("No room was left for hashtags within %(channel)s's limit."),
    "body_url_removed": _l("Links are not clickable on %(channel)s, so web addresses in the text were removed "
                           "(the poster's QR code carries the link)."),
    "no_link": _l("There is no product page address, so the post carries no link."),
    "original_price_ignored": _l("The original price is not above the price, so it is not shown."),
    "price_mismatch": _l("The text mentions %(amount)s, which is not the campaign's price."),
    "image_upscaled": _l("The product photo is smaller than the %(size)s image and was enlarged; "
                         "upload a larger one."),
    "no_photo": _l("No product photo yet: the %(size)s image shows a plain panel."),
    "photo_contained": _l("A crop would cut the product on the %(size)s image, so the whole photo is shown."),
    "text_shrunk": _l("The title was set smaller to fit the %(size)s image."),
    "text_truncated": _l("The title is too long for the %(size)s image and was cut there."),
    "body_truncated": _l("The text was cut on the %(size)s image."),
    "brand_color_adjusted": _l("The brand colour was darkened on images so that it stays legible on white."),
    "brand_color_invalid": _l("The brand colour is not valid; images use the default colour."),
    "qr_reach_risk": _l("%(channel)s is reported to show posts whose images carry a QR code to fewer people."),
    "cover_overlay": _l("%(channel)s's caption and buttons cover the bottom and right of the image: keep the "
                        "product and the QR code clear of them."),
    "text_folds": _l("%(channel)s shows the first %(limit)s characters, then folds the rest: put what matters "
                     "first, or post the details as a first comment."),
    "qr_unavailable": _l("The QR code does not fit the %(size)s image, which shows the plain card instead."),
}
_LIMIT_OF = {"text_folds": "preview_limit", "title_cut": "title_limit", "text_cut": "text_limit",
             "caption_cut": "caption_limit",
             "too_many_hashtags": "max_hashtags"}
_LINK_NOTES = {
    "qr_only": _l("Links are not clickable here: each seller's poster carries their QR code and code word."),
    "one_link": _l("The link goes in the “Read more” field, not in the text."),
    "no_cjk_url": _l("Web addresses are written in plain ASCII here."),
}
_IMAGE_KINDS = {"card": _l("Card"), "poster": _l("Poster with QR code"), "photo": _l("Product photo")}


def warning_text(spec: ChannelSpec, code: str, message: str) -> str:
    """A compose or render warning in the page's language (the service's English if unknown)."""
    template = _WARNINGS.get(code)
    if template is None:
        return message
    size = re.search(r"\d+x\d+", message)
    amount = re.search(r"mentions (.+), which is", message)
    limit = getattr(spec, _LIMIT_OF[code]) if code in _LIMIT_OF else ""
    text = str(template) % {"channel": channel_name(spec), "limit": limit,
                            "size": size.group().replace("x", "×") if size else "",
                            "amount": amount.group(1) if amount else ""}
    if code == "text_cut" and "link may be lost" in message:
        text += " " + _("Even the price and link were too long; the link may be lost.")
    return text


def _image_view(spec: ChannelSpec, number: int, image: dict) -> dict:
    kind = str(_IMAGE_KINDS.get(image.get("kind"), image.get("kind") or ""))
    size = f"{image['width']}×{image['height']}"
    return {"url": image["url"], "width": image["width"], "height": image["height"], "label": f"{kind} · {size}",
            "alt": _("%(channel)s image %(number)s: %(kind)s, %(size)s",
                     channel=channel_name(spec), number=number, kind=kind, size=size)}


def post_view(spec: ChannelSpec, text: str, title: str | None, caption: str | None, warnings: list[dict],
              images: list[dict] | None) -> dict:
    """One channel's post as the templates show it; ``images`` None when none are drawn yet."""
    notes = [str(_LINK_NOTES[spec.link_policy])] if spec.link_policy in _LINK_NOTES else []
    if spec.weighted_length == "x":
        notes.append(_("X counts each Chinese character twice and every link as 23."))
    if spec.preview_limit:
        notes.append(_("The first %(count)s characters show before the text folds.", count=spec.preview_limit))
    seen, said = set(), []
    for warning in warnings:
        text_of = warning_text(spec, warning["code"], warning["message"])
        if text_of not in seen:
            seen.add(text_of)
            said.append(text_of)
    return {
        "channel": spec.id, "name": channel_name(spec), "text": text,
        "length": spec.measure(text), "limit": spec.text_limit,
        "title": title, "title_length": spec.measure(title) if title is not None else 0,
        "title_limit": spec.title_limit,
        "caption": caption if caption != text else None,
        "caption_length": spec.measure(caption) if caption else 0, "caption_limit": spec.caption_limit,
        "notes": notes, "warnings": said,
        "images": None if images is None else [_image_view(spec, i, image) for i, image in enumerate(images, 1)],
    }


@contextmanager
def reading() -> Iterator[Session]:
    """A read session to draw a page with, once the request's own session is closed.

    A POST's session holds SQLite's write lock from its first query, and drawing
    posts saves new renders through a session of its own, which would wait for
    that lock; a page drawn after a refused POST has nothing to keep anyway.
    Closing (rather than rolling back) keeps the signed-in account and workspace
    loaded, so the page reads them without taking the lock again.
    """
    database.session().close()
    with database.read_session() as reader:
        yield reader


def _drawn(reader: Session, campaign: Campaign) -> list[dict]:
    """The saved campaign's posts as the API gives them, images drawn where new."""
    return campaign_posts(reader, database.new_session, storage.storage(), campaign,
                          current_app.config["PUBLIC_URL"])["items"]


def saved_posts(reader: Session, campaign: Campaign) -> list[dict]:
    """The saved campaign's post for each channel (text, images, warnings), as the templates show it."""
    return [post_view(REGISTRY[item["channel"]].spec, item["text"], item["title"], item["caption"],
                      item["warnings"], item["images"]) for item in _drawn(reader, campaign)]


def live_preview(reader: Session, form: CampaignForm, campaign: Campaign | None) -> dict:
    """Each channel the form selects, composed from the form as typed; images of the saved campaign."""
    content, priced = draft_content(form, g.workspace.currency)
    chosen = [c for c in dict.fromkeys(form.channels.data or []) if c in REGISTRY]
    saved = {}
    if campaign is not None and chosen:
        saved = {item["channel"]: item for item in _drawn(reader, campaign)}
    notes = []
    if not priced:
        notes.append(_("The price is not a valid amount yet; the preview shows 0."))
    items = []
    for channel in chosen:
        spec = REGISTRY[channel].spec
        composed = REGISTRY[channel].compose(content)
        item = saved.get(channel)
        warnings = [w.to_json() for w in composed.warnings]
        if item is not None:
            warnings += [w for w in item["warnings"] if w["code"] in RENDER_WARNINGS]
        items.append(post_view(spec, composed.text, composed.title, composed.caption, warnings,
                               item["images"] if item else None))
    return {"posts": items, "notes": notes, "saved": campaign is not None}


def preview_fragment(campaign_id: int | None):
    """The preview of the posted (unsaved) form as an HTML fragment; nothing is stored.

    :raise ApiError 404: ``campaign_id`` is not a campaign of this workspace.
    """
    with reading() as reader:
        campaign = get_campaign(reader, g.key.workspace_id, campaign_id) if campaign_id else None
        return render_template("console/_preview.html", preview=live_preview(reader, CampaignForm(), campaign))
